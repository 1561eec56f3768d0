"""Questions about the design, not the checklist: for the questions shown on partial items, the share
that name the design's own terms or lines, and how many name something the design does not hold
(target: share >= 60%, foreign names 0). On ../shared/eval/dev, and on real-dev when its texts are
restored (training/data.py, /tmp/design-review-real-dev).
Usage: python bench/questions.py [--show 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from labels import ROOT

from app.config import get_settings
from app.document.terms import foreign_names
from app.review.build import build_reviewer

SETS = {"dev": ROOT.parent / "shared" / "eval" / "dev", "real-dev": Path("/tmp/design-review-real-dev")}


def figures(reviewer, folder: Path, show: int) -> None:
    designs = sorted(folder.glob("*.md"))
    if not designs:
        print(f"{folder}: no designs (skipped)")
        return
    asked = specific = named = foreign = 0
    shown = 0
    for path in designs:
        text = path.read_text()
        n_lines = len(text.split("\n"))
        review = reviewer.review(text, title=path.stem, backend="local")
        for gap in review.gaps():
            if gap.status != "partial":
                continue
            if shown < show:
                print(f"  {path.stem} {gap.item}: {gap.summary}")
                print("".join(f"    ? {q}\n" for q in gap.questions), end="")
                shown += 1
            for q in gap.question_details:
                asked += 1
                specific += q.design_specific
                named += bool(q.names)
                # the checklist's own questions claim nothing about the design
                wrong = foreign_names(q.text, text, n_lines) if q.source != "corpus" else []
                foreign += bool(wrong)
                if wrong:
                    print(f"  FOREIGN {path.stem} {gap.item}: {q.text} {wrong}")
    print(f"{folder.name}: {len(designs)} designs, {asked} questions on partial items; design-specific "
          f"{specific / max(1, asked):.0%} (naming a term {named / max(1, asked):.0%}); naming what the "
          f"design lacks: {foreign}   target >= 60%, 0")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", type=int, default=3, help="partial items to print per set")
    args = parser.parse_args()
    reviewer = build_reviewer(get_settings())
    for folder in SETS.values():
        figures(reviewer, folder, args.show)


if __name__ == "__main__":
    main()
