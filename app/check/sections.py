"""Where each stage and topic lives in a design: the heading a finding about it belongs under.

A gap has no lines of its own, so the check points it at the section of its stage: the heading the
reviewer matched to the stage, else a heading that names the stage, else the section holding most
of the stage's evidence. Line 1 only when the design has no section for that stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.document.parse import Heading, parse_document
from app.knowledge.rubric import Rubric
from app.review.model import ItemResult, Review

_WORD = re.compile(r"[a-z]+")
# Words of stage and topic titles that say nothing about which section is meant.
_VAGUE = {"and", "the", "of", "a", "an", "for", "with", "offline", "online", "prediction", "service",
          "such", "as", "iteration", "updates", "testing", "development", "evaluation", "model",
          "system", "systems"}
_PREFIX = 5  # "model" matches "modeling", "feature" matches "features"


@dataclass(frozen=True)
class Section:
    """A heading of the design that a stage or topic belongs under."""

    title: str
    line: int


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _VAGUE}


def _same(a: str, b: str) -> bool:
    return a == b or (len(a) >= _PREFIX and len(b) >= _PREFIX and a[:_PREFIX] == b[:_PREFIX])


def _named(headings: list[Heading], vocabulary: set[str]) -> Heading | None:
    """The heading whose words name the group most often (the first on a tie)."""
    best, hits = None, 0
    for h in headings:
        count = sum(any(_same(w, v) for v in vocabulary) for w in _words(h.title))
        if count > hits:
            best, hits = h, count
    return best


def _holding(headings: list[Heading], items: list[ItemResult]) -> Heading | None:
    """The innermost heading whose section holds most of these items' cited lines."""
    lines = [e.start_line for i in items for e in i.evidence]
    best, held = None, 0
    for h in headings:
        count = sum(h.start_line <= n <= h.end_line for n in lines)
        if count > held or (count == held and count and best and h.level > best.level):
            best, held = h, count
    return best


def _body_headings(headings: tuple[Heading, ...]) -> list[Heading]:
    """The headings that open sections: a lone top-level title names the design, not a stage."""
    titles = [h for h in headings if h.level == 1]
    if len(titles) == 1 and len(headings) > 1:
        return [h for h in headings if h is not titles[0]]
    return list(headings)


def locate_sections(text: str, fmt: str, review: Review, rubric: Rubric) -> dict[str, Section]:
    """For each stage and detected topic with a section in the design, that section."""
    headings = _body_headings(parse_document(text, fmt=fmt).headings)
    if not headings:
        return {}
    items: dict[str, list[ItemResult]] = {s.id: list(s.items) for s in review.stages}
    for item in review.topic_items:
        items.setdefault(item.topic or rubric.item(item.id).group, []).append(item)
    homes = {s.id: Section(g.section, g.start_line) for s in review.stages for g in s.gaps[:1]
             if g.section and g.start_line}
    out = {}
    for group in (*rubric.stages, *rubric.topics):
        if group.id in homes:
            out[group.id] = homes[group.id]
            continue
        found = (_named(headings, _words(group.title) | _words(group.id.replace("_", " ")))
                 or _holding(headings, items.get(group.id, [])))
        if found:
            out[group.id] = Section(found.title, found.start_line)
    return out
