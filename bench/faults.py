"""LLM faults injected through a loopback stand-in: does every review still come back?

For each fault (connection refused, timeout, 429, 500, malformed JSON, truncated JSON, a quote that
is not in the document) asks for N reviews with the LLM scorer and prints reviews answered /
reviews asked (target 100%), how many were degraded, and the reasons.
Usage: python bench/faults.py [--reviews 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from labels import ROOT

sys.path.insert(0, str(ROOT / "tests"))
from llm_standin import every_item, free_port, raw, running_standin, slow, status  # noqa: E402

from app.config import get_settings  # noqa: E402
from app.review.build import build_reviewer  # noqa: E402

DOC = (ROOT / "examples" / "recsys_design.md").read_text()
INVENTED = lambda body, item: ("We shard the feature store across 40 regions with 2 ms reads", [3])  # noqa: E731
FAULTS = {
    "connection refused": None,
    "timeout (reply after 10 s, deadline 2 s)": slow(10, every_item("m")),
    "429 with Retry-After: 1": status(429, {"retry-after": "1"}),
    "500": status(500),
    "malformed JSON": raw('{"items": [{"id": "problem.business_goal", "s": "c", "q": '),
    "truncated JSON (max_tokens reached)": raw('{"items": [{"id": "problem.busi', finish_reason="length"),
    "quote not in the document": every_item("c", INVENTED),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviews", type=int, default=5)
    args = parser.parse_args()
    with running_standin() as standin:
        print(f"{'fault':42} answered  degraded  seconds/review  reasons")
        for name, behaviour in FAULTS.items():
            url = f"http://127.0.0.1:{free_port()}/v1" if behaviour is None else standin.url
            reviewer = build_reviewer(get_settings(llm_api_key="bench", llm_base_url=url, llm_model="standin",
                                                   llm_cache_dir=None, llm_deadline_s=2))
            reviewer.review(DOC, backend="local")  # warm embeddings
            standin.reset(behaviour)
            answered, degraded, reasons, started = 0, 0, Counter(), time.perf_counter()
            for _ in range(args.reviews):
                try:
                    review = reviewer.review(DOC, backend="llm", fresh=True)
                except Exception as exc:  # what the target forbids: an error instead of a review
                    reasons[f"ERROR {type(exc).__name__}: {exc}"] += 1
                    continue
                answered += 1
                degraded += review.reviewer.degraded
                if review.reviewer.degraded_reason:
                    reasons[review.reviewer.degraded_reason] += 1
                for r in review.reviewer.llm_rejected[:1]:
                    reasons[f"(not degraded; {len(review.reviewer.llm_rejected)} verdicts rejected, e.g. {r})"] += 1
            seconds = (time.perf_counter() - started) / args.reviews
            print(f"{name:42} {answered}/{args.reviews} ({answered / args.reviews:.0%})  {degraded:>3}"
                  f"       {seconds:6.2f}")
            for reason, n in reasons.most_common():
                print(f"    {n} x {reason}")


if __name__ == "__main__":
    main()
