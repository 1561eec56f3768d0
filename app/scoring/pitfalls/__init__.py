"""Pitfall detection: known wrong decisions, found as the sentences that make them.

Each pitfall is modelled by meaning rather than by phrasing:

    the operation (a split, statistics fitted, a feature's source, how negatives are labelled,
    where serving features are computed, the headline metric)
  + what makes it wrong (time-ordered data, fitted over all rows, known only after the
    prediction, every non-interaction, two code paths, a rare positive class)
  - what excuses it (a time or grouped split, fitted on training data only, as-of joins,
    impressions only, one shared code path, a metric made for imbalance)
  - a rejection of the bad option ("we do not", "rather than", "would leak", "was dropped").

Detectors read one window (a sentence, bullet, table row or code block) in the context of the
whole document (is the data ordered in time anywhere? is the positive class rare? does the
document state one shared feature library?) and of its neighbours (a question that the window
answers, a correction that follows it). Rules are deterministic, need no model, and explain
themselves through the windows they return (at most three per finding).

The package: `context.py` (the document as detectors read it), `cues.py` (rejection, correction and
draft cues every detector reads), and one module per pitfall: `accuracy.py`, `splits.py`,
`preprocessing.py`, `label_leakage.py`, `negatives.py`, `skew.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from app.document.parse import Document
from app.scoring.pitfalls.accuracy import detect_accuracy
from app.scoring.pitfalls.context import Context
from app.scoring.pitfalls.label_leakage import detect_label_leakage
from app.scoring.pitfalls.negatives import detect_non_interaction
from app.scoring.pitfalls.preprocessing import detect_preprocessing
from app.scoring.pitfalls.skew import detect_skew
from app.scoring.pitfalls.splits import detect_random_split


@dataclass(frozen=True)
class Finding:
    """A pitfall found in the document, at these windows."""

    pitfall: str
    windows: tuple[int, ...]
    confidence: float


_DETECT: dict[str, Callable[[Context], list[int]]] = {
    "pitfall.accuracy_on_imbalanced": detect_accuracy,
    "pitfall.random_split_time_data": detect_random_split,
    "pitfall.preprocessing_leakage": detect_preprocessing,
    "pitfall.label_leakage": detect_label_leakage,
    "pitfall.non_interaction_as_negative": detect_non_interaction,
    "pitfall.train_serve_skew": detect_skew,
}


def _on_document(detect: Callable[[Context], list[int]]) -> Callable[[Document], list[int]]:
    """The detector as a function of the parsed document."""
    def run(doc: Document) -> list[int]:
        return detect(Context(doc))
    run.__name__ = detect.__name__
    run.__doc__ = detect.__doc__
    return run


DETECTORS: dict[str, Callable[[Document], list[int]]] = {
    pid: _on_document(fn) for pid, fn in _DETECT.items()}


# a section that tells what went wrong before, not what the design does now
_HISTORY_SECTION = re.compile(
    r"\b(?:post-?mortem|what went wrong|what happened|lessons? learn\w*|retrospective|incident|history|how we got here|"
    r"v1|version 1|previous (?:version|model|system|design)|old (?:model|system|pipeline)|"
    # options weighed and not chosen
    r"alternatives?(?: considered)?|options considered|rejected options?|not chosen)\b", re.I)
# a question asked in the document ("And negatives? Someone who didn't click?") decides nothing
_QUESTION = re.compile(r"\?[\s*_)\]]*$")
# a whole bold line that a Q&A write-up opens with "Q" ("**Q: What metric do you report? I keep hearing ...**")
_QUESTION_LINE = re.compile(r"^\s*\*\*\s*Q\s*\d*\s*[:.].*\*\*\s*$")


def _decides(doc: Document, ctx: Context, k: int) -> bool:
    """Window k can state a decision of this design: not a heading, a diagram, a question or a section
    about the past."""
    w = doc.windows[k]
    return (w.kind != "heading" and k not in ctx.diagram and not _HISTORY_SECTION.search(w.section or "")
            and not (w.kind != "code" and (_QUESTION.search(w.text) or all(
                _QUESTION_LINE.match(ln) for ln in doc.lines[w.start_line - 1:w.end_line]))))


def find_pitfalls(doc: Document, known: set[str]) -> list[Finding]:
    """Run every detector whose pitfall the rubric defines."""
    findings = []
    ctx = Context(doc)
    for pitfall_id, detect in _DETECT.items():
        if pitfall_id not in known:
            continue
        windows = [k for k in detect(ctx) if _decides(doc, ctx, k)]
        if windows:
            findings.append(Finding(pitfall_id, tuple(windows[:3]), 0.8 if len(windows) == 1 else 0.9))
    return findings
