"""Wall time of `design-review check` over 20 design documents in one process, model loaded once.

Writes 20 varied designs (300 to 1,600 words, built from the corpus examples, some with topic
sections, a pitfall or a waiver; a different marker word on each line so no document's lines are in
the embedding cache) to a temporary folder, then prints two figures: the model and reviewer load,
and the check itself (reviews, evaluation and rendering every output format). Target: the check
within 5 s. Usage: python bench/check_speed.py [--docs 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from labels import ROOT

from app.knowledge.corpus import read_corpus

MARKERS = ("amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo",
           "juniper", "kelp", "lagoon", "maple", "nectar", "onyx", "pebble", "quartz", "raven",
           "sierra", "tundra")


def design(k: int, files: list, rng: random.Random) -> str:
    """A design of a random size: stage sections in order, each with a few items' examples."""
    marker = f"{MARKERS[k % len(MARKERS)]}{k}"
    budget = rng.randint(300, 1600)
    stages = [f for f in files if f.meta.get("kind") == "stage"]
    topics = [f for f in files if f.meta.get("kind") == "topic"]
    pitfalls = next(f for f in files if f.meta.get("kind") == "pitfalls").meta["pitfalls"]
    lines, words = [f"# Design {k}: {marker} service", ""], 4
    if k % 4 == 0:
        lines += ["<!-- design-review: ignore deployment.bandits -- no exploration in this product -->", ""]
    sections = stages + ([rng.choice(topics)] if k % 3 == 0 else [])
    for f in sections:
        lines += [f"## {f.meta['title']}", ""]
        for item in rng.sample(f.meta["items"], k=max(1, len(f.meta["items"]) // 2)):
            for anchor in rng.sample(item.get("anchors", []), k=min(2, len(item.get("anchors", [])))):
                line = f"- {anchor} ({marker})"
                lines.append(line)
                words += len(line.split())
        lines.append("")
        if words >= budget:
            break
    if k % 5 == 0:
        lines += ["## Risks", "", f"- {rng.choice(rng.choice(pitfalls)['anchors'])} ({marker})", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    files = read_corpus(ROOT / "corpus")

    started = time.perf_counter()
    from app.check.formats import FORMATS
    from app.check.policy import Policy
    from app.check.runner import run_check
    from app.check.sources import LocalSource
    from app.config import get_settings
    from app.review.build import build_reviewer

    settings = get_settings()
    source = LocalSource(settings, build_reviewer(settings))
    source.reviewer.embedder.embed(["warm-up"])
    load = time.perf_counter() - started
    spent = []  # seconds inside the reviewer itself, to separate the check's own cost
    review = source.review

    def timed_review(*a):
        begun = time.perf_counter()
        try:
            return review(*a)
        finally:
            spent.append(time.perf_counter() - begun)

    source.review = timed_review

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sizes = []
        for k in range(args.docs):
            text = design(k, files, rng)
            (folder / f"design_{k:02d}.md").write_text(text, encoding="utf-8")
            sizes.append(len(text.split()))
        started = time.perf_counter()
        report = run_check([str(folder)], source, Policy(), folder)
        reviewed = time.perf_counter() - started
        rendered = {fmt: len(render(report)) for fmt, render in FORMATS.items()}
        total = time.perf_counter() - started

    print(f"{args.docs} documents, {sum(sizes)} words ({min(sizes)} to {max(sizes)} per document), "
          f"{sum(d.status == 'fail' for d in report.documents)} failing, {len(report.errors)} errors")
    print(f"model and reviewer load (once): {load:6.2f} s")
    print(f"check, all {args.docs} documents:  {total:6.2f} s  (target <= 5 s)")
    per_doc = sum(spent) / args.docs * 1000
    print(f"  of which the reviewer:        {sum(spent):6.2f} s  ({per_doc:.0f} ms a document)")
    print(f"  of which the check itself:    {total - sum(spent):6.2f} s  (paths, waivers, evaluation "
          f"{reviewed - sum(spent):.2f} s; rendering {len(rendered)} formats {total - reviewed:.2f} s)")
    print(f"reviewer: {report.tool.line()}")


if __name__ == "__main__":
    main()
