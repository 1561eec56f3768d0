"""PDF files as markdown: text lines grouped into headings (by font size), paragraphs (by the gaps
between lines), list items (by their bullets) and code (by a fixed-pitch font).

The only module that imports pypdfium2 (PDFium, the PDF engine of Chromium: fast and hardened
against broken files). Every markdown line keeps its page and its line on that page.
"""

from __future__ import annotations

import ctypes
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from app.errors import DocumentTooLarge, UserError
from app.document.writer import MarkdownWriter

_BREAK = re.compile(r"\r\n|\r|\n")
_BULLET = re.compile(r"^[•◦▪‣●○■□–·*-]\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_PAGE_NUMBER = re.compile(r"^(page\s+)?\d+(\s*(/|of)\s*\d+)?$", re.I)
_FIXED_PITCH, _ITALIC = 1, 64  # PDF font descriptor flags


@dataclass(frozen=True)
class Line:
    """A text line of a page: where it is, and the font of its first character."""

    page: int
    number: int  # its line on the page, 1-based
    text: str
    size: float
    x: float
    y: float
    mono: bool

    @property
    def where(self) -> str:
        return f"page {self.page}, line {self.number}"


def convert_pdf(data: bytes, max_pages: int, max_text: int) -> tuple[MarkdownWriter, str]:
    """The PDF's markdown (with page and line locations) and the title from its metadata."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UserError("the PDF is encrypted (password-protected): save or print an unprotected copy "
                            "and send that") from None
        raise UserError(f"the PDF could not be read, it is damaged or truncated ({exc}): export it again "
                        "and send the whole file") from None
    try:
        pages = len(pdf)
        if pages > max_pages:
            raise DocumentTooLarge(f"the PDF has {pages:,} pages; the limit is {max_pages:,}: send the design "
                                   "itself, not a longer document")
        lines = [line for n in range(pages) for line in _page_lines(pdf, n, max_text)]
        if not any(line.text.strip() for line in lines):
            raise UserError(_no_text(pdf, pages))
        title = (pdf.get_metadata_dict().get("Title") or "").strip()
    finally:
        pdf.close()
    out = MarkdownWriter(max_text)
    _write(lines, out)
    return out, title


def _page_lines(pdf, index: int, max_text: int) -> list[Line]:
    import pypdfium2.raw as raw

    page = pdf[index]
    textpage = page.get_textpage()
    try:
        if textpage.count_chars() > max_text:
            raise DocumentTooLarge(f"page {index + 1} of the PDF holds over {max_text:,} characters: "
                                   "send the design itself")
        text = textpage.get_text_range()
        out, start = [], 0
        for match in [*_BREAK.finditer(text), None]:
            end = match.start() if match else len(text)
            raw_line = text[start:end]
            stripped = _CONTROL.sub("", raw_line).strip()
            if stripped and not _PAGE_NUMBER.match(stripped):
                first = start + (len(raw_line) - len(raw_line.lstrip()))
                marked = _CONTROL.sub("", _mark_first_run(raw, textpage.raw, text, first, end)).strip()
                out.append(_line(raw, textpage.raw, index + 1, len(out) + 1, marked, first))
            start = match.end() if match else end
        return out
    finally:
        textpage.close()
        page.close()


def _style(raw, textpage, index: int) -> str:
    flags = ctypes.c_int(0)
    raw.FPDFText_GetFontInfo(textpage, index, None, 0, ctypes.byref(flags))
    bold = raw.FPDFText_GetFontWeight(textpage, index) >= 600
    return ("**" if bold else "") + ("*" if flags.value & _ITALIC else "")


def _mark_first_run(raw, textpage, text: str, first: int, end: int) -> str:
    """The line with its opening bold or italic run marked (a label such as "**Latency.**"): the
    markdown a word processor's emphasis came from, so the line reads the same as that markdown."""
    bullet = _BULLET.match(text[first:end])
    lead, first = text[first: first + bullet.end()] if bullet else "", first + (bullet.end() if bullet else 0)
    mark = _style(raw, textpage, first) if first < end else ""
    if not mark:
        return lead + text[first:end]
    stop = first
    while stop < min(end, first + 120) and (text[stop].isspace() or _style(raw, textpage, stop) == mark):
        stop += 1
    run = text[first:stop].rstrip()
    return f"{lead}{mark}{run}{mark[::-1]}{text[first + len(run):end]}"


def _line(raw, textpage, page: int, number: int, text: str, first: int) -> Line:
    x, y, flags = ctypes.c_double(), ctypes.c_double(), ctypes.c_int(0)
    raw.FPDFText_GetCharOrigin(textpage, first, ctypes.byref(x), ctypes.byref(y))
    raw.FPDFText_GetFontInfo(textpage, first, None, 0, ctypes.byref(flags))
    size = round(raw.FPDFText_GetFontSize(textpage, first) * 2) / 2
    return Line(page, number, text, size, x.value, y.value, bool(flags.value & _FIXED_PITCH))


def _no_text(pdf, pages: int) -> str:
    import pypdfium2.raw as raw

    images = sum(1 for n in range(min(pages, 50))
                 for _ in pdf[n].get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2))
    if images:
        return (f"the PDF has no text layer: its {pages} page(s) are images, a scan or a picture of text. "
                "Export the PDF from the document itself (File > Download > PDF), or run OCR on it first")
    return f"the PDF's {pages} page(s) hold no text: there is no design in it to review"


def _write(lines: list[Line], out: MarkdownWriter) -> None:
    """Headings, paragraphs, list items and code from the lines, in order."""
    body = _body_size(lines)
    levels = {size: level for level, size in
              enumerate(sorted({l.size for l in lines if l.size >= body * 1.15 and not l.mono}, reverse=True), 1)}
    spacing = _spacing(lines)
    left = min((l.x for l in lines if l.size == body), default=0.0)
    block: list[Line] = []
    for line in lines:
        if block and _breaks(block[0], block[-1], line, spacing, levels):
            _flush(block, out, levels, left)
            block = []
        block.append(line)
    _flush(block, out, levels, left)


def _body_size(lines: list[Line]) -> float:
    weights = Counter()
    for line in lines:
        weights[line.size] += len(line.text)
    return weights.most_common(1)[0][0]


def _spacing(lines: list[Line]) -> dict[float, float]:
    """The usual distance between two lines of one paragraph, per font size."""
    gaps: dict[float, list[float]] = {}
    for a, b in zip(lines, lines[1:]):
        if a.page == b.page and a.size == b.size and 0 < a.y - b.y < 4 * a.size:
            gaps.setdefault(a.size, []).append(a.y - b.y)
    return {size: statistics.median_low([d for d in g if d <= min(g) * 1.1]) for size, g in gaps.items()}


def _breaks(block_start: Line, prev: Line, line: Line, spacing: dict[float, float],
            levels: dict[float, int]) -> bool:
    """Whether a line starts a new block after prev (in the block that block_start opened)."""
    if line.size != prev.size or line.mono != prev.mono or _BULLET.match(line.text):
        return True
    if _BULLET.match(block_start.text) and line.x < block_start.x + 0.5 * line.size:
        return True  # an item's wrapped lines hang under its text, not under its bullet
    if line.text.startswith("**") and not prev.text.startswith("**"):  # a bold label or header row
        return True
    if line.size in levels:  # a heading wrapped over two lines stays one heading
        return line.page != prev.page or prev.y - line.y > 1.6 * line.size
    if line.page != prev.page:  # a paragraph goes on over the page break unless its sentence ended
        return prev.text.endswith((".", "!", "?", ":", ";"))
    gap = prev.y - line.y
    return gap <= 0 or gap > spacing.get(line.size, 1.2 * line.size) * 1.25


def _flush(block: list[Line], out: MarkdownWriter, levels: dict[float, int], left: float) -> None:
    if not block:
        return
    first = block[0]
    if first.size in levels:
        out.heading(levels[first.size], " ".join(l.text for l in block).replace("*", ""), first.where)
    elif first.mono:
        out.code([" " * max(0, round((l.x - left) / (0.6 * l.size))) + l.text for l in block],
                 [l.where for l in block])
    elif _BULLET.match(first.text):
        depth = max(0, int((first.x - left) / (1.5 * first.size)))
        out.item(_BULLET.sub("", first.text), first.where, depth, [(l.text, l.where) for l in block[1:]])
    else:
        out.end_block()
        out.paragraph([l.text for l in block], [l.where for l in block])
