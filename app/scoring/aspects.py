"""Which aspects of an item a design states, and where: window-level, from vectors and keywords.

An item's aspects (the A/B test's traffic split, duration, hypothesis, power, guardrails) come from
the corpus. Their anchor sentences are embedded once, when the reviewer starts; a review then reads
the windows it already embedded that are about the item (the item's evidence, the rest of its
section, and windows close to the item or naming its keywords) against each aspect: an aspect is
stated where a window names one of its keywords or is close to its anchor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.document.parse import Document
from app.knowledge.rubric import Aspect, Item
from app.scoring.lexical import KeywordIndex

ABOUT_ITEM = 0.40    # a window this close to the item's anchors is about the item
ASPECT_SIM = 0.55    # a window this close to an aspect's anchor states the aspect
KEYWORD_SIM = 0.25   # a keyword counts where the window is at least this close to the aspect


@dataclass(frozen=True)
class AspectFinding:
    """One aspect of an item, and the windows of the design that state it (none: left out)."""

    aspect: Aspect
    windows: tuple[int, ...]

    @property
    def found(self) -> bool:
        return bool(self.windows)


class AspectIndex:
    """Every item's aspects with their anchor vectors, built once per reviewer."""

    def __init__(self, items: list[Item], embed) -> None:
        self._rows: dict[str, range] = {}
        aspects: list[Aspect] = []
        for item in items:
            self._rows[item.id] = range(len(aspects), len(aspects) + len(item.aspects))
            aspects += item.aspects
        self.aspects = aspects
        self._vectors = embed([a.anchor for a in aspects]) if aspects else np.zeros((0, 384), np.float32)
        self._keywords = KeywordIndex([a.keywords for a in aspects])

    def find(self, doc: Document, vectors: np.ndarray, item: str, about: np.ndarray,
             evidence: tuple[int, ...], first: frozenset[int]) -> list[AspectFinding]:
        """The item's aspects in this design. `about`: per window, how close it is to the item;
        `first`: the first window of each distinct text (a repeated text counts once)."""
        rows = self._rows.get(item, range(0))
        if not len(rows) or not len(doc.windows):
            return []
        near = self._windows_about(doc, about, evidence, first)
        if not near:
            return [AspectFinding(self.aspects[r], ()) for r in rows]
        sims = vectors[near] @ self._vectors[rows.start:rows.stop].T  # near windows x aspects
        texts = [doc.windows[k].text for k in near]
        hits = self._keywords.hits(texts)
        out = []
        for col, r in enumerate(rows):
            stated = [k for pos, k in enumerate(near)
                      if sims[pos, col] >= ASPECT_SIM or (hits[r][pos] and sims[pos, col] >= KEYWORD_SIM)]
            ordered = sorted(stated, key=lambda k: -float(sims[near.index(k), col]))
            out.append(AspectFinding(self.aspects[r], tuple(ordered[:2])))
        return out

    @staticmethod
    def _windows_about(doc: Document, about: np.ndarray, evidence: tuple[int, ...],
                       first: frozenset[int]) -> list[int]:
        """The item's evidence windows, the other windows of their sections, and windows close to it;
        a text repeated counts once (its first window)."""
        sections = {doc.windows[k].section for k in evidence}
        return [k for k, w in enumerate(doc.windows)
                if k in first and w.kind != "heading"
                and (k in evidence or w.section in sections or about[k] >= ABOUT_ITEM)]
