"""The document as the detectors read it: its windows, whole-document facts and each window's neighbours."""

from __future__ import annotations

import re
from typing import Callable, Iterable

from app.document.parse import Document
from app.scoring.pitfalls.cues import CORRECTION, REJECTS_PREVIOUS

_BOX = re.compile(r"[\u2500-\u259f\u25b2-\u25c4\u2190-\u21ff]")
_ASCII_BOX = re.compile(r"\+-{2,}|-{2,}\+|\|\s{2,}\||-{2,}>|<-{2,}")


# a line of notes that is a statement of its own: "key: value", a task-list entry ("[ ] labels: ...")
_OWN_LINE = re.compile(r"^\s*(?:[-*]\s*)?(?:\[[ xX]\]\s*|[a-z][\w /-]{0,24}:\s)", re.I)
_COMMENT_LINE = re.compile(r"^\s*(?:#|--|//|%|;)")
_IMPORT_LINE = re.compile(r"^\s*(?:import|from\s+[\w.]+\s+import)\b")


_DIAGRAM_CODE = re.compile(
    r"^\W*(?:mermaid|plantuml|dot|graphviz)\b|^\W*(?:graph|flowchart) (?:TD|TB|LR|RL|BT)\b|^\W*sequenceDiagram\b", re.I)


def is_diagram(text: str) -> bool:
    """An ASCII, box-drawing or mermaid diagram (boxes, lines and arrows), not prose that commits to anything."""
    return (len(_BOX.findall(text)) >= 8 or len(_ASCII_BOX.findall(text)) >= 4
            or bool(_DIAGRAM_CODE.match(text)))


class Context:
    """The document's windows with their text computed once, plus whole-document facts."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.windows = doc.windows
        self.texts = [self._without_imports(w) if w.kind == "code" else w.text for w in doc.windows]
        self.lower = [t.lower() for t in self.texts]
        self.full = "\n".join(self.texts)
        self._facts: dict[str, bool] = {}
        # box and ASCII diagrams draw components, they decide nothing: no detector reads them
        self.diagram = {k for k, t in enumerate(self.texts) if is_diagram(t)}

    def having(self, keys: tuple[str, ...]) -> list[tuple[int, str]]:
        """(index, text) of the windows holding any of these lower-case substrings: a cheap gate."""
        return [(k, self.texts[k]) for k, low in enumerate(self.lower)
                if k not in self.diagram and any(key in low for key in keys)]

    def _without_imports(self, w) -> str:
        """A code block without its import lines: importing a function decides nothing."""
        text = w.text
        for ln in self.doc.lines[w.start_line - 1:w.end_line]:  # a long block's windows hold parts of it
            if _IMPORT_LINE.match(ln):
                text = text.replace(ln.strip(), " ")
        return text

    def cells(self, k: int) -> list[str]:
        """The lower-case cells of window k's first line, read as a markdown table row."""
        line = self.doc.lines[self.windows[k].start_line - 1]
        return [c.strip().lower() for c in line.strip().strip("|").split("|")]

    def own_line(self, k: int, at: str) -> str:
        """In notes written as "key: value" or task-list lines run together into one paragraph, or in
        a code block, the line that holds `at`: each such line is a statement of its own (its excuses
        are not another line's: a rolling mean in one line of a cell does not make the split in
        another one a time split). Otherwise the whole window."""
        w = self.windows[k]
        lines = self.doc.lines[w.start_line - 1:w.end_line]
        at = at.lower().replace("_", " ")
        holding = [i for i, ln in enumerate(lines) if at in ln.lower().replace("_", " ")]
        if w.kind == "code" and holding:  # the statement with the comment above it; a match only in an import is none
            at_line = next((i for i in holding if not _IMPORT_LINE.match(lines[i])), None)
            if at_line is None:
                return ""
            start = at_line
            while start > 0 and _COMMENT_LINE.match(lines[start - 1]):
                start -= 1
            return " ".join(ln.strip() for ln in lines[start:at_line + 1])
        if w.kind != "paragraph" or len(lines) < 3 or sum(bool(_OWN_LINE.match(ln)) for ln in lines) < len(lines) - 1:
            return self.texts[k]
        return lines[holding[0]] if holding else self.texts[k]

    def fact(self, key: str, compute: Callable[[], bool]) -> bool:
        """A whole-document fact, computed on first use and kept under its key."""
        if key not in self._facts:
            self._facts[key] = compute()
        return self._facts[key]

    def anywhere(self, key: str, pattern: re.Pattern) -> bool:
        """Whether the pattern occurs anywhere in the document (a fact kept under key)."""
        return self.fact(key, lambda: bool(pattern.search(self.full)))

    def neighbours(self, k: int, before: int, after: int) -> list[int]:
        """Windows next to k in the same section (contiguous lines, no heading in between)."""
        back = range(k - 1, max(-1, k - before - 1), -1)
        ahead = range(k + 1, min(len(self.windows), k + after + 1))
        return self._same_section(k, back) + self._same_section(k, ahead)

    def _same_section(self, k: int, order: Iterable[int]) -> list[int]:
        """The windows in this order up to the first heading or the first one outside k's section."""
        out = []
        section = self.windows[k].section
        for j in order:
            v = self.windows[j]
            if v.kind == "heading" or v.section != section:
                break
            out.append(j)
        return out

    def corrected(self, k: int, excuse: re.Pattern) -> bool:
        """A following window in the same paragraph corrects this one ("Please fit ... on train")."""
        for j in self.neighbours(k, 0, 3):
            t = self.texts[j]
            if CORRECTION.search(t) and excuse.search(t):
                return True
        return False

    def rejected_next(self, k: int) -> bool:
        """The next window in the same section rejects what this one states ("We dropped that: ...")."""
        return any(REJECTS_PREVIOUS.search(self.texts[j]) for j in self.neighbours(k, 0, 1))
