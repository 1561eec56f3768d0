"""Inline waivers: `<!-- design-review: ignore deployment.canary -- reason -->` in the design itself.

The parser in app/document.py drops HTML comments before scoring, so waivers are read from the
raw text here. A waiver names items, whole stages or topics, or pitfalls (several ids separated by
commas or spaces); the reason follows `--` (or an em dash). A waiver without a reason still waives,
and is reported as a warning of its own.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_COMMENT = re.compile(r"<!--\s*design-review\s*:(?P<body>.*?)-->", re.S | re.I)
_SEPARATOR = re.compile(r"\s*(?:--|\u2014)\s*")


@dataclass(frozen=True)
class Waiver:
    """Ids waived for this document, why, and the line of the comment."""

    ids: tuple[str, ...]
    reason: str
    line: int

    def covers(self, rule: str, group: str) -> bool:
        return rule in self.ids or group in self.ids


@dataclass(frozen=True)
class WaiverProblem:
    """A waiver comment that is wrong or incomplete: reported as a warning finding."""

    rule: str
    message: str
    line: int
    ids: tuple[str, ...] = ()


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def parse_waivers(text: str, known: set[str]) -> tuple[list[Waiver], list[WaiverProblem]]:
    """Every `design-review:` comment of the text, as waivers and problems with their lines."""
    waivers, problems = [], []
    for match in _COMMENT.finditer(text):
        line = _line_of(text, match.start())
        parts = _SEPARATOR.split(match["body"].strip(), maxsplit=1)
        head, reason = parts[0], " ".join(parts[1].split()) if len(parts) > 1 else ""
        words = head.replace(",", " ").split()
        if not words or words[0].lower() != "ignore" or len(words) == 1:
            problems.append(WaiverProblem(
                "design-review/waiver-malformed",
                "design-review comment not understood: write "
                "'<!-- design-review: ignore ITEM_ID -- reason -->'", line))
            continue
        ids = tuple(words[1:])
        unknown = tuple(i for i in ids if i not in known)
        if unknown:
            close = [m for i in unknown for m in difflib.get_close_matches(i, sorted(known), n=1, cutoff=0.6)]
            problems.append(WaiverProblem(
                "design-review/waiver-unknown-id",
                f"waiver names ids the rubric does not define: {', '.join(unknown)}"
                + (f" (did you mean {', '.join(close)}?)" if close else ""), line, unknown))
        valid = tuple(i for i in ids if i in known)
        if not valid:
            continue
        if not reason:
            problems.append(WaiverProblem(
                "design-review/waiver-without-reason",
                f"waiver for {', '.join(valid)} gives no reason: add '-- why it does not apply'",
                line, valid))
        waivers.append(Waiver(valid, reason, line))
    return waivers, problems


def find_waiver(waivers: list[Waiver], rule: str, group: str) -> Waiver | None:
    """The first waiver that covers a rule (or its stage or topic), if any."""
    return next((w for w in waivers if w.covers(rule, group)), None)
