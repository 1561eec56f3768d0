"""Draw covered verdicts on real-dev for a blind judge: does the cited passage support the item?

Each document is scored by a model fitted without it (leave-one-document-out, training/fit.py);
N covered verdicts are drawn at random (seeded) and written with the item's rubric title and the
text of every line span the review cites for it (as the report shows them) to a JSON file OUTSIDE
the project (the texts are public, not ours to keep). A judge then marks each "supports", "in
passing" or "unrelated"; `--count FILE` prints the tally.

    python bench/evidence_sample.py --out /tmp/evidence-sample.json [--n 60]
    python bench/evidence_sample.py --count /tmp/evidence-judged.json
"""

from __future__ import annotations

import argparse
import collections
import json
import random
from pathlib import Path

from labels import load_set

import fit as F


def draw(n: int, seed: int) -> list[dict]:
    reviewer = F.unfitted_reviewer()
    examples = [F.read(reviewer, d) for s in F.TRAIN_SETS for d in load_set(s)]
    verdicts = []
    for k, ex in enumerate(examples):
        if ex.doc.set != "real-dev":
            continue
        out = F.predict(ex, F.fit([e for j, e in enumerate(examples) if j != k]), reviewer.rubric.stages)
        lines = ex.doc.text.split("\n")
        for c, item in enumerate(ex.items):
            if out["status"][c] == 2 and out["best"][c] >= 0:
                spans = F.cited_spans(ex, out, c)
                verdicts.append({"document": ex.doc.name, "item": item.id, "item_title": item.title,
                                 "lines": spans,
                                 "cited": "\n...\n".join("\n".join(lines[a - 1:b]) for a, b in spans)})
    random.Random(seed).shuffle(verdicts)
    return verdicts[:n]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path)
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--count", type=Path, help="a judged file: each entry with \"judgement\"")
    args = parser.parse_args()
    if args.count:
        judged = json.loads(args.count.read_text())
        tally = collections.Counter(j["judgement"] for j in judged)
        print(f"{len(judged)} covered verdicts judged: " + ", ".join(f"{k} {v}" for k, v in tally.most_common())
              + f"; supported {tally['supports'] / max(1, len(judged)):.0%}")
        return
    sample = draw(args.n, args.seed)
    args.out.write_text(json.dumps(sample, indent=1))
    print(f"wrote {len(sample)} covered verdicts to {args.out}")


if __name__ == "__main__":
    main()
