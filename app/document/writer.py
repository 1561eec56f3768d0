"""Markdown written from a converted file's blocks, each line with where it came from in the file."""

from __future__ import annotations

import re

from app.errors import DocumentTooLarge

# Line starts that would make converted text into markdown structure it never had: a heading, a
# code fence or indented code, a setext underline, a raw HTML block, a table.
_BLOCK_START = re.compile(r"^(#{1,6}(?=\s|$)|`{3,}|~{3,}|=+\s*$|-{3,}\s*$|<(?!!--)|\|)")
_SPACE = re.compile(r"\s+")


def inline(text: str) -> str:
    """One line of text: whitespace folded, no leading markdown structure."""
    text = _SPACE.sub(" ", text).strip()
    return "\\" + text if _BLOCK_START.match(text) else text


def emphasized(runs: list[tuple[str, bool, bool]]) -> str:
    """Runs of (text, bold, italic) as markdown: the same emphasis a markdown design would carry."""
    merged: list[list] = []
    for text, bold, italic in runs:
        if merged and merged[-1][1:] == [bold, italic]:
            merged[-1][0] += text
        else:
            merged.append([text, bold, italic])
    out = []
    for text, bold, italic in merged:
        mark = ("**" if bold else "") + ("*" if italic else "")
        core = text.strip()
        if not mark or not core:
            out.append(text)
            continue
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
        out.append(f"{lead}{mark}{core}{mark[::-1]}{trail}")
    return "".join(out)


def cell(text: str) -> str:
    """A table cell's text: one line, its pipes escaped."""
    return _SPACE.sub(" ", text).strip().replace("|", "\\|")


class MarkdownWriter:
    """Collects markdown lines and the source location of each; refuses text past `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.lines: list[str] = []
        self.locations: list[str] = []
        self._size = 0
        self._mode = ""  # "", "list" or "table": list items and table rows stay together
        self._columns = 0

    def _line(self, text: str, where: str) -> None:
        self._size += len(text.encode("utf-8")) + 1
        if self._size > self.max_bytes:
            raise DocumentTooLarge(f"the converted text is over the {self.max_bytes}-byte limit "
                                   "(DESIGN_REVIEW_MAX_DOCUMENT_BYTES): send the design alone, not a longer document")
        self.lines.append(text)
        self.locations.append(where)

    def _open(self, mode: str) -> None:
        """A blank line between blocks, except inside a run of list items or of table rows."""
        if self.lines and (mode != self._mode or mode == ""):
            self._line("", self.locations[-1])
        self._mode = mode

    def heading(self, level: int, text: str, where: str) -> None:
        text = _SPACE.sub(" ", text).strip()
        if text:
            self._open("")
            self._line(f"{'#' * max(1, min(level, 6))} {text}", where)

    def paragraph(self, lines: list[str] | str, where: list[str] | str) -> None:
        """A paragraph of one line, or of several (a PDF's lines, each with its own location)."""
        lines, where = ([lines], [where]) if isinstance(lines, str) else (lines, where)
        kept = [(inline(t), w) for t, w in zip(lines, where) if t.strip()]
        if kept:
            self._open("")
            for text, place in kept:
                self._line(text, place)

    def item(self, text: str, where: str, depth: int = 0, continued: list[tuple[str, str]] = ()) -> None:
        """A list item (with its wrapped continuation lines, for a PDF)."""
        text = inline(text)
        if text:
            self._open("list")
            self._line(f"{'  ' * min(depth, 8)}- {text}", where)
            for more, place in continued:
                if more.strip():
                    self._line(f"{'  ' * min(depth, 8)}  {inline(more)}", place)

    def row(self, cells: list[str], where: str) -> None:
        """A table row; the first row of a table is its header."""
        cells = [cell(c) for c in cells]
        if not any(cells):
            return
        if self._mode != "table":
            self._open("table")
            self._columns = len(cells)
            self._line("| " + " | ".join(cells) + " |", where)
            self._line("|" + " --- |" * len(cells), where)
            return
        if len(cells) > self._columns:  # markdown drops cells past the header's: join them into the last
            cells = cells[: self._columns - 1] + [" ".join(cells[self._columns - 1 :])]
        cells += [""] * (self._columns - len(cells))
        self._line("| " + " | ".join(cells) + " |", where)

    def code(self, lines: list[str], where: list[str]) -> None:
        if any(line.strip() for line in lines):
            self._open("")
            self._line("```", where[0])
            for text, place in zip(lines, where):
                self._line(text.replace("```", "'''").rstrip(), place)
            self._line("```", where[-1])

    def end_block(self) -> None:
        """Close a list or a table: the next list item or row starts a new one."""
        self._mode = ""

    def text(self) -> str:
        return "\n".join(self.lines)


class Outline:
    """Where a Word or HTML block is: the path of headings above it and its paragraph number under
    the nearest one (list items and table rows count as paragraphs)."""

    def __init__(self) -> None:
        self._path: list[tuple[int, str]] = []
        self._count = 0

    def heading(self, level: int, title: str) -> str:
        self._path = [(lvl, t) for lvl, t in self._path if lvl < level] + [(level, _SPACE.sub(" ", title).strip())]
        self._count = 0
        return f"heading {self._trail()}"

    def paragraph(self) -> str:
        self._count += 1
        return f"{self._trail() or 'before the first heading'}, paragraph {self._count}"

    def _trail(self) -> str:
        return " › ".join(title[:60] for _, title in self._path)
