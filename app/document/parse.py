"""Design documents: markdown or plain text parsed into sections and windows with line numbers."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

from app.errors import DocumentTooLarge, UserError

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"'(\[*_`]?[A-Z0-9])")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_MD_NOISE = re.compile(r"[*`#>|]+")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")
MAX_WINDOW_WORDS = 120


@dataclass(frozen=True)
class Window:
    """A sentence, bullet or table row of the document, with the lines it spans (1-based)."""

    text: str
    start_line: int
    end_line: int
    section: str
    kind: str  # heading | paragraph | list_item | table_row | code


@dataclass(frozen=True)
class Heading:
    """A markdown heading and the lines its section spans."""

    title: str
    level: int
    start_line: int
    end_line: int


@dataclass(frozen=True)
class Document:
    """A parsed design document."""

    text: str
    title: str
    lines: tuple[str, ...]
    headings: tuple[Heading, ...]
    windows: tuple[Window, ...]
    sha256: str

    @property
    def words(self) -> int:
        return len(self.text.split())

    def spans(self, windows) -> list[tuple[int, int]]:
        """The line spans of these windows, in order; spans that overlap are merged into one."""
        return merge_spans((self.windows[k].start_line, self.windows[k].end_line) for k in windows)

    def quote(self, start_line: int, end_line: int, limit: int = 300) -> str:
        """The document's own text of a line span, whitespace folded, cut at `limit` characters."""
        text = " ".join(" ".join(self.lines[start_line - 1 : end_line]).split())
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def merge_spans(spans) -> list[tuple[int, int]]:
    """(start_line, end_line) spans in order, those that overlap merged into one."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(set(spans)):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def decode_document(data: bytes | str) -> str:
    """Turn submitted bytes into text, refusing what is not UTF-8 text."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UserError(
                f"the document is not valid UTF-8 (byte {exc.start}): send markdown or plain text saved as UTF-8, "
                "or a Word (.docx), PDF or HTML file with its name"
            ) from exc
    else:
        try:  # JSON can carry lone surrogates ("\ud800"), which no UTF-8 text holds
            data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise UserError(
                f"the document is not valid Unicode text (character {exc.start}): "
                "send markdown or plain text"
            ) from exc
    if "\x00" in data:
        raise UserError("the document contains NUL bytes: send markdown or plain text, not a binary file")
    return data.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def check_limits(text: str, max_bytes: int, max_lines: int) -> None:
    """Refuse empty documents and documents over the size or line limits."""
    if not text.strip():
        raise UserError("the document is empty: send a design with some text in it")
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise DocumentTooLarge(f"the document is {size} bytes; the limit is {max_bytes} bytes "
                               "(DESIGN_REVIEW_MAX_DOCUMENT_BYTES)")
    lines = text.count("\n") + 1
    if lines > max_lines:
        raise DocumentTooLarge(f"the document has {lines} lines; the limit is {max_lines} lines "
                               "(DESIGN_REVIEW_MAX_DOCUMENT_LINES)")


def _clean(text: str) -> str:
    text = _HTML_COMMENT.sub(" ", text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = _EMPHASIS_UNDERSCORE.sub(" ", _MD_NOISE.sub(" ", text))
    return " ".join(text.split())


def _sentences(lines: list[str], first_line: int) -> list[tuple[str, int, int]]:
    """Split a block's lines into sentences, each with the lines it spans."""
    joined, starts = "", []
    for offset, line in enumerate(lines):
        starts.append(len(joined))
        joined += line.strip() + " "
    out, pos = [], 0
    pieces = _SENTENCE_END.split(joined)
    for piece in pieces:
        begin = joined.find(piece, pos)
        end = begin + len(piece)
        pos = end
        first = max(i for i, s in enumerate(starts) if s <= begin)
        last = max(i for i, s in enumerate(starts) if s < max(end, begin + 1))
        out.append((piece, first_line + first, first_line + last))
    return _merge_short(out)


def _merge_short(parts: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    merged: list[tuple[str, int, int]] = []
    for text, start, end in parts:
        if merged and len(text.split()) < 4:
            prev = merged.pop()
            merged.append((prev[0] + " " + text, prev[1], end))
        else:
            merged.append((text, start, end))
    return merged


def _chunks(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    words = text.split()
    if len(words) <= MAX_WINDOW_WORDS:
        return [(text, start, end)]
    return [(" ".join(words[i : i + MAX_WINDOW_WORDS]), start, end)
            for i in range(0, len(words), MAX_WINDOW_WORDS)]


class _Builder:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.windows: list[Window] = []
        self.section = ""

    def add(self, start: int, end: int, kind: str, split: bool) -> None:
        raw = self.lines[start:end]
        parts = _sentences(raw, start + 1) if split else [(" ".join(raw), start + 1, end)]
        for text, first, last in parts:
            cleaned = _clean(text)
            if cleaned:
                for piece, a, b in _chunks(cleaned, first, last):
                    self.windows.append(Window(piece, a, b, self.section, kind))


def _walk(tokens: list, builder: _Builder, headings: list[tuple[str, int, int]]) -> None:
    list_depth = 0
    for i, tok in enumerate(tokens):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif tok.type == "heading_open" and tok.map:
            title = _clean(tokens[i + 1].content)
            headings.append((title, int(tok.tag[1]), tok.map[0] + 1))
            builder.section = title
            builder.add(tok.map[0], tok.map[1], "heading", split=False)
        elif tok.type == "paragraph_open" and tok.map:
            kind = "list_item" if list_depth else "paragraph"
            builder.add(tok.map[0], tok.map[1], kind, split=True)
        elif tok.type == "tr_open" and tok.map:
            builder.add(tok.map[0], tok.map[1], "table_row", split=False)
        elif tok.type in ("fence", "code_block") and tok.map:
            builder.add(tok.map[0], tok.map[1], "code", split=False)


def parse_document(text: str, title: str | None = None, fmt: str = "markdown") -> Document:
    """Parse markdown (or plain text, read as paragraphs) into headings and windows."""
    lines = text.split("\n")
    builder = _Builder(lines)
    found: list[tuple[str, int, int]] = []
    if fmt == "markdown":
        md = MarkdownIt("commonmark").enable("table")
        _walk(md.parse(text), builder, found)
    else:
        _walk_text(lines, builder)
    headings = tuple(
        Heading(t, level, start, _section_end(found, idx, len(lines)))
        for idx, (t, level, start) in enumerate(found)
    )
    doc_title = title or (headings[0].title if headings and headings[0].level == 1 else "")
    if not doc_title:
        doc_title = next((_clean(l)[:80] for l in lines if _clean(l)), "untitled")
    return Document(text, doc_title, tuple(lines), headings, tuple(builder.windows),
                    hashlib.sha256(text.encode("utf-8")).hexdigest())


def _walk_text(lines: list[str], builder: _Builder) -> None:
    start = None
    for idx, line in enumerate(lines + [""]):
        if line.strip() and start is None:
            start = idx
        elif not line.strip() and start is not None:
            builder.add(start, idx, "paragraph", split=True)
            start = None


def _section_end(found: list[tuple[str, int, int]], idx: int, n_lines: int) -> int:
    level = found[idx][1]
    for title, lvl, start in found[idx + 1 :]:
        if lvl <= level:
            return start - 1
    return n_lines
