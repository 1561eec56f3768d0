"""Word (.docx) files as markdown: headings by their styles, lists, tables row by row.

The only module that imports python-docx. The zip is checked before python-docx opens it: a file
that inflates past the limit (a zip bomb) is refused from its directory, before a byte inflates.
"""

from __future__ import annotations

import io
import re
import zipfile

from app.errors import DocumentTooLarge, UserError
from app.document.writer import MarkdownWriter, Outline, emphasized

_HEADING_STYLE = re.compile(r"^heading (\d)$", re.I)
_CODE_STYLES = {"code", "source code", "html preformatted", "plain text", "macro text"}
_MONO_FONTS = ("courier", "consolas", "menlo", "monaco", "source code", "roboto mono", "dejavu sans mono",
               "lucida console", "monospace")
MAX_ENTRIES = 2_000


def check_zip(data: bytes, max_inflated: int) -> zipfile.ZipFile:
    """The file as a zip that holds a Word document and inflates to at most `max_inflated` bytes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise UserError(f"the Word file is damaged or truncated ({exc}): save it again and send the whole "
                        "file") from None
    if len(entries) > MAX_ENTRIES:
        raise DocumentTooLarge(f"the Word file holds {len(entries)} parts (limit {MAX_ENTRIES}): "
                               "it is not a design document")
    inflated = sum(e.file_size for e in entries)
    if inflated > max_inflated:
        raise DocumentTooLarge(f"the Word file inflates to {inflated:,} bytes (limit {max_inflated:,}): "
                               "remove large embedded objects, or send it as PDF")
    if "word/document.xml" not in {e.filename for e in entries}:
        raise UserError("the file is a zip archive but not a Word document (no word/document.xml): "
                        "send the .docx itself")
    return archive


def convert_docx(data: bytes, max_inflated: int, max_text: int) -> tuple[MarkdownWriter, str]:
    """The document's markdown (with its locations) and its title from the file's properties."""
    import docx
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_zip(data, max_inflated)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UserError(f"the Word file could not be read ({exc.__class__.__name__}): save it again as .docx "
                        "and send the whole file") from None
    _read_style_names(document)
    out, outline = MarkdownWriter(max_text), Outline()
    code: list[tuple[str, str]] = []  # a run of code paragraphs, written as one block
    for element in document.element.body.iterchildren():
        paragraph = Paragraph(element, document) if element.tag == qn("w:p") else None
        if paragraph is not None and _is_code(paragraph):
            code.append((paragraph.text, outline.paragraph()))
            continue
        if code:
            out.code([t for t, _ in code], [w for _, w in code])
            code = []
        if paragraph is not None:
            _paragraph(paragraph, out, outline)
        elif element.tag == qn("w:tbl"):
            _table(Table(element, document), out, outline)
    if code:
        out.code([t for t, _ in code], [w for _, w in code])
    return out, (document.core_properties.title or "").strip()


def _is_code(paragraph) -> bool:
    """A paragraph in a code style, or all of whose text is in a fixed-pitch font."""
    if _style_name(paragraph).lower() in _CODE_STYLES:
        return True
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all((r.font.name or "").lower().startswith(_MONO_FONTS) for r in runs)


_STYLE_NAMES: dict[str, str] = {}  # style id -> name, for the document being converted (one a process)


def _read_style_names(document) -> None:
    """Every style's name by its id, once: python-docx looks a paragraph's style up by a scan."""
    _STYLE_NAMES.clear()
    for style in document.styles.element.style_lst:
        if style.styleId and style.name_val:
            _STYLE_NAMES[style.styleId] = style.name_val


def _style_name(paragraph) -> str:
    style_id = paragraph._p.style  # None: the default paragraph style ("Normal")
    return _STYLE_NAMES.get(style_id, "") if style_id else ""


def _list_depth(paragraph) -> int | None:
    """The list level of a numbered or bulleted paragraph; None when it is not in a list."""
    p_pr = paragraph._p.pPr
    num = p_pr.numPr if p_pr is not None else None
    if num is not None and num.numId is not None and num.numId.val != 0:
        return int(num.ilvl.val) if num.ilvl is not None else 0
    style = _style_name(paragraph).lower()
    if not style.startswith("list"):
        return None
    level = re.search(r"(\d)$", style)  # "List Bullet 2" is the second level
    return int(level.group(1)) - 1 if level else 0


def _marked_text(paragraph) -> str:
    """The paragraph's text with its bold and italic runs marked as markdown emphasis."""
    from docx.text.run import Run

    return emphasized([(item.text, bool(item.bold), bool(item.italic)) if isinstance(item, Run)
                       else (item.text, False, False) for item in paragraph.iter_inner_content()])


def _paragraph(paragraph, out: MarkdownWriter, outline: Outline) -> None:
    text = paragraph.text
    if not text.strip():
        return
    style = _style_name(paragraph)
    heading = _HEADING_STYLE.match(style)
    if heading or style.lower() == "title":
        level = int(heading.group(1)) if heading else 1
        out.heading(level, text, outline.heading(level, text))
        return
    text = _marked_text(paragraph)
    depth = _list_depth(paragraph)
    if depth is not None:
        out.item(text, outline.paragraph(), depth)
    else:
        out.paragraph(text, outline.paragraph())


def _table(table, out: MarkdownWriter, outline: Outline) -> None:
    where = outline.paragraph()
    out.end_block()
    for number, row in enumerate(table.rows, start=1):
        cells, seen = [], []
        for c in row.cells:  # a merged cell appears once per grid column it spans
            if not any(c._tc is s for s in seen):
                seen.append(c._tc)
                cells.append(c.text)
        out.row(cells, f"{where}, table row {number}")
    out.end_block()
