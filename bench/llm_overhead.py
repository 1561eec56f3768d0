"""Overhead of the LLM path beyond the model's own time, against a stand-in that answers at once.

For a ~2,000-word design: the same review with the local scorer and with the LLM scorer (uncached,
embeddings warm), the stand-in quoting a document line for every item so that every quote is
checked and merged. Prints p50/p95 of both and of their difference. Target: p50 <= 150 ms, for each
provider: `--provider openai` (ChatOpenAI against the OpenAI stand-in), `azure` (AzureChatOpenAI,
the same stand-in), `anthropic` (ChatAnthropic against the Messages API stand-in), `all`.
Usage: python bench/llm_overhead.py [--runs 15] [--provider openai|azure|anthropic|all]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from labels import ROOT
from speed import design, pct

sys.path.insert(0, str(ROOT / "tests"))
import anthropic_standin  # noqa: E402
import llm_standin  # noqa: E402

from app.config import get_settings  # noqa: E402
from app.review.build import build_reviewer  # noqa: E402


def quoting_answer(m):
    """Every asked item covered, each quoting one of the document's lines (cycled)."""
    return lambda body: _quoting(m, body)


def _quoting(m, body: dict) -> list[dict]:
    lines = sorted(m.document_lines(body).items())
    out = []
    for k, item in enumerate(m.asked_ids(body)):
        n, text = lines[(k * 7) % len(lines)]
        out.append({"id": item, "s": "c", "q": text, "l": [n], "r": "stated with a number", "f": []})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--provider", choices=("openai", "azure", "anthropic", "all"), default="all")
    args = parser.parse_args()
    doc = design("overhead")
    for provider in ("openai", "azure", "anthropic") if args.provider == "all" else (args.provider,):
        measure(provider, doc, args.runs)


def measure(provider: str, doc: str, runs: int) -> None:
    m = anthropic_standin if provider == "anthropic" else llm_standin
    running = m.running_anthropic if provider == "anthropic" else m.running_standin
    with running() as standin:
        standin.reset(m.answer(quoting_answer(m)))
        url = standin.url.removesuffix("/v1") if provider == "azure" else standin.url
        reviewer = build_reviewer(get_settings(llm_provider=provider, llm_api_key="bench", llm_base_url=url,
                                               llm_model="standin", llm_cache_dir=None,
                                               llm_azure_api_version="2024-10-21" if provider == "azure" else None))
        reviewer.review(doc, backend="llm", fresh=True)  # warm: embeddings, prompt, HTTP client
        local, llm, extra = [], [], []
        for _ in range(runs):
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
    print(f"provider {provider}: design {words} words; {len(review.stages)} stages; "
          f"{standin.calls and len(m.asked_ids(standin.calls[-1]))} items asked in {review.reviewer.usage.calls} "
          f"call(s); {len(review.reviewer.llm_rejected)} verdicts rejected")
    for label, samples in (("local review", local), ("LLM review (stand-in)", llm), ("LLM path overhead", extra)):
        print(f"  {label:24} p50 {pct(samples, .5) * 1000:7.1f} ms   p95 {pct(samples, .95) * 1000:7.1f} ms"
              f"   mean {statistics.mean(samples) * 1000:7.1f} ms (n={len(samples)})")
    ok = pct(extra, .5) <= 0.150
    print(f"  target: overhead p50 <= 150 ms: {'ok' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
