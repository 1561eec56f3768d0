"""Overhead of the LLM path beyond the model's own time, against a stand-in that answers at once.

For a ~2,000-word design: the same review with the local scorer and with the LLM scorer (uncached,
embeddings warm), the stand-in quoting a document line for every item so that every quote is
checked and merged. Prints p50/p95 of both and of their difference. Target: p50 <= 150 ms.
Usage: python bench/llm_overhead.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from labels import ROOT
from speed import design, pct

sys.path.insert(0, str(ROOT / "tests"))
from llm_standin import answer, asked_ids, document_lines, running_standin  # noqa: E402

from app.config import get_settings  # noqa: E402
from app.review.build import build_reviewer  # noqa: E402


def quoting_answer(body: dict) -> list[dict]:
    """Every asked item covered, each quoting one of the document's lines (cycled)."""
    lines = sorted(document_lines(body).items())
    out = []
    for k, item in enumerate(asked_ids(body)):
        n, text = lines[(k * 7) % len(lines)]
        out.append({"id": item, "s": "c", "q": text, "l": [n], "r": "stated with a number", "f": []})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    doc = design("overhead")
    with running_standin() as standin:
        standin.reset(answer(quoting_answer))
        reviewer = build_reviewer(get_settings(llm_api_key="bench", llm_base_url=standin.url,
                                               llm_model="standin", llm_cache_dir=None))
        reviewer.review(doc, backend="llm", fresh=True)  # warm: embeddings, prompt, HTTP client
        local, llm, extra = [], [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            reviewer.review(doc, backend="local", fresh=True)
            mid = time.perf_counter()
            review = reviewer.review(doc, backend="llm", fresh=True)
            end = time.perf_counter()
            assert review.reviewer.backend == "llm", review.reviewer.degraded_reason
            local.append(mid - started)
            llm.append(end - mid)
            extra.append((end - mid) - (mid - started))
    words = len(doc.split())
    print(f"design: {words} words; {len(review.stages)} stages; {standin.calls and len(asked_ids(standin.calls[-1]))} "
          f"items asked in {review.reviewer.usage.calls} call(s); {len(review.reviewer.llm_rejected)} verdicts rejected")
    for label, samples in (("local review", local), ("LLM review (stand-in)", llm), ("LLM path overhead", extra)):
        print(f"  {label:24} p50 {pct(samples, .5) * 1000:7.1f} ms   p95 {pct(samples, .95) * 1000:7.1f} ms"
              f"   mean {statistics.mean(samples) * 1000:7.1f} ms (n={len(samples)})")
    ok = pct(extra, .5) <= 0.150
    print(f"target: overhead p50 <= 150 ms: {'ok' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
