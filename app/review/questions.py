"""A gap's follow-up questions: about what this design says, not the checklist.

A partial item says what the design states and what it leaves out, with the lines, and asks only
about the aspects left out, naming the design's own terms (copied from its text, never invented).
A missing item keeps the corpus's questions. The LLM's questions, when it gave some that survived
the grounding check, come first. Every question records where it came from, the lines it refers to
and the names it uses, so that a reader (and a test) can check each name against the design.
"""

from __future__ import annotations

import re
from typing import Callable

from app.document.parse import Document
from app.document.terms import GENERIC, names_in, surface
from app.knowledge.rubric import Item
from app.review.model import AspectResult, Question
from app.scoring.aspects import AspectFinding

MAX_LOCAL = 3          # questions about missing aspects, most important (corpus order) first
MAX_QUESTIONS = 5      # shown per gap, all sources together
VAGUE = "what exactly does the design decide here, and why?"
_NUMBER = re.compile(r"^[\d.,%]+$")
_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)|https?://\S+")


def gap_questions(doc: Document, item: Item, status: str, findings: list[AspectFinding],
                  evidence: tuple[int, ...], llm: list[Question],
                  on_item: Callable[[int], bool] = lambda k: True) -> tuple[list[Question], str | None,
                                                                          list[AspectResult]]:
    """The gap's questions, what the design says and leaves out (one sentence), and its aspects.
    `on_item`: whether a window is about the item (a question starts only from such a window)."""
    aspects = [AspectResult(label=f.aspect.label, found=f.found, lines=_lines(doc, f.windows)) for f in findings]
    corpus = [Question(text=q, design_specific=False, source="corpus") for q in item.questions]
    if status != "partial" or not findings:
        return _cap(llm + corpus), None, aspects
    found = [f for f in findings if f.found]
    missing = [f for f in findings if not f.found]
    terms = _terms(item)
    # The line the question starts from: the one the scorer cites for the item (what the design says
    # about it most directly), else where an aspect is stated; never a heading, a bare label or a
    # reference.
    cited = [k for k in evidence[:1] if _substantive(doc, k) and on_item(k)]
    points = [_point(doc, k, terms) for k in cited] or \
        [_point(doc, f.windows[0], terms) for f in found if _substantive(doc, f.windows[0]) and on_item(f.windows[0])]
    local = []
    if not points:
        local = corpus
    elif missing:
        for k, f in enumerate(missing[:MAX_LOCAL]):
            local.append(_ask(points[k % len(points)], f.aspect.ask))
    else:
        local.append(_ask(points[0], VAGUE))
    return _cap(llm + local), _summary(doc, found, missing, points, terms), aspects


def _substantive(doc: Document, k: int) -> bool:
    """A window a question can start from: a statement of a few words, not a heading, a label or a
    reference (a line that is mostly a link)."""
    w = doc.windows[k]
    text = w.text.strip()
    if w.kind == "heading" or len(text.split()) < 5 or text.endswith(":"):
        return False
    return len(_LINK.sub("", text).split()) >= 0.5 * len(text.split())


def _ask(point: tuple[list[int], str | None], ask: str) -> Question:
    lines, term = point
    where = f"Line {lines[0]}" if len(lines) == 1 else f"Lines {lines[0]}-{lines[-1]}"
    lead = f"{where} names {term}" if term else where
    text = f"{lead}: {ask[0].lower() + ask[1:] if not ask.startswith(('I ', 'A/B')) else ask}"
    return Question(text=text, design_specific=True, source="local", lines=lines,
                    names=[term] if term else [])


def _point(doc: Document, window: int, terms: list[str]) -> tuple[list[int], str | None]:
    """A window's lines and the design's own term for what it says there."""
    w = doc.windows[window]
    return list(range(w.start_line, w.end_line + 1)), design_term(w.text, terms)


def _terms(item: Item) -> list[str]:
    """The item's and its aspects' keywords, longest first: what a window about the item may name."""
    words = set(item.keywords) | {k for a in item.aspects for k in a.keywords if " " in k or "-" in k}
    return sorted((k for k in words if len(k) >= 4 or any(c.isdigit() for c in k)), key=lambda k: (-len(k), k))


def design_term(text: str, terms: list[str]) -> str | None:
    """What the window names about the item, spelled as the design does: a name that is one of the
    item's terms (PR-AUC, LightGBM, p99), else the item's term itself (negative sampling); None when
    the line names neither."""
    folded = text.casefold()
    # A capitalized plain word (a table cell's or a bullet's first word: "Users", "Data") is no name.
    names = [n for n in names_in(text) if not _NUMBER.match(n) and n not in GENERIC
             and sum(c.isalpha() for c in n) >= 2 and not (n.isalpha() and n[1:].islower())]
    for name in names:
        if any(t in name.casefold() or name.casefold() in t for t in terms):
            return surface(name, text)
    for term in terms:
        at = folded.find(term)
        if at >= 0 and (at == 0 or not folded[at - 1].isalnum()):
            return surface(term, text)
    # Any other capitalised name on the line is not named: it may be what the line is about, or not
    # (a storage size, an editor's note), and a question built on a misread name loses the reader.
    return None


def _summary(doc: Document, found: list[AspectFinding], missing: list[AspectFinding],
             points: list, terms: list[str]) -> str:
    stated = []
    for f in found:
        lines, term = _point(doc, f.windows[0], terms)
        stated.append(f"{f.aspect.label} at line {lines[0]}" + (f" ({term})" if term else ""))
    parts = [("states " + ", ".join(stated)) if stated else
             f"mentions the item at line {points[0][0][0]} without its parts" if points else
             "mentions the item only in passing"]
    if missing:
        parts.append("no " + ", no ".join(f.aspect.label for f in missing))
    return "; ".join(parts)


def _lines(doc: Document, windows: tuple[int, ...]) -> list[int]:
    return sorted({n for k in windows for n in range(doc.windows[k].start_line, doc.windows[k].end_line + 1)})


def _cap(questions: list[Question]) -> list[Question]:
    out, seen = [], set()
    for q in questions:
        if q.text not in seen:
            seen.add(q.text)
            out.append(q)
    return out[:MAX_QUESTIONS]
