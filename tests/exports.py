"""Markdown designs written as the files people send: .docx (python-docx), .pdf (fpdf2) and .html.

Each writer works from the same blocks (headings, paragraphs, list items, table rows, code) read
from the markdown with markdown-it, the way an editor's export would lay them out: Word heading
styles and list styles, PDF font sizes and bullets, HTML elements. bench/formats.py uses them too.
Also a short sample design and the hostile files (HOSTILE: name -> (make, format, error, what the
message says)) that tests/document and tests/api refuse.
"""

from __future__ import annotations

import html
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from app.errors import DocumentTooLarge, UserError

FONTS = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core


@dataclass(frozen=True)
class Block:
    kind: str  # heading | paragraph | item | row | code
    text: str = ""
    level: int = 0  # a heading's level, a list item's depth, a row's index in its table
    cells: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    runs: tuple[tuple[str, bool, bool], ...] = ()  # (text, bold, italic): how an editor keeps emphasis


def _runs(token) -> tuple[tuple[str, bool, bool], ...]:
    runs, bold, italic = [], False, False
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            runs.append((child.content, bold, italic))
        elif child.type in ("softbreak", "hardbreak"):
            runs.append((" ", bold, italic))
        elif child.type in ("strong_open", "strong_close"):
            bold = child.type == "strong_open"
        elif child.type in ("em_open", "em_close"):
            italic = child.type == "em_open"
    return tuple(runs)


def _inline(token) -> str:
    return "".join(t for t, _, _ in _runs(token)).strip()


def blocks(markdown: str) -> list[Block]:
    """The markdown's blocks in order."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    out, depth, row, cells, in_item = [], -1, -1, [], 0
    for i, tok in enumerate(tokens):
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif tok.type == "list_item_open":
            in_item += 1
        elif tok.type == "list_item_close":
            in_item -= 1
        elif tok.type == "heading_open":
            out.append(Block("heading", _inline(tokens[i + 1]), int(tok.tag[1])))
        elif tok.type == "paragraph_open" and not tok.hidden and tokens[i - 1].type != "list_item_open":
            out.append(Block("paragraph", _inline(tokens[i + 1]), runs=_runs(tokens[i + 1])))
        elif tok.type == "paragraph_open" and in_item:
            out.append(Block("item", _inline(tokens[i + 1]), max(depth, 0), runs=_runs(tokens[i + 1])))
        elif tok.type == "table_open":
            row = -1
        elif tok.type == "tr_open":
            row, cells = row + 1, []
        elif tok.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            cells.append(_inline(tok))
        elif tok.type == "tr_close":
            out.append(Block("row", level=row, cells=tuple(cells)))
        elif tok.type in ("fence", "code_block"):
            out.append(Block("code", lines=tuple(tok.content.rstrip("\n").split("\n"))))
    return out


def _tables(items: list[Block]):
    """Blocks with each table's rows gathered into one ("table", rows) entry."""
    table: list[Block] = []
    for block in items:
        if block.kind == "row" and (block.level > 0 or not table):
            table.append(block)
            continue
        if table:
            yield "table", table
            table = []
        if block.kind == "row":
            table.append(block)
        else:
            yield block.kind, block
    if table:
        yield "table", table


def to_docx(markdown: str) -> bytes:
    """A Word file: Heading N styles, List Bullet styles, real tables, code in Courier New."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    for kind, block in _tables(blocks(markdown)):
        if kind == "heading":
            document.add_heading(block.text, block.level)
        elif kind in ("paragraph", "item"):
            style = None if kind == "paragraph" else "List Bullet" if block.level == 0 else "List Bullet 2"
            paragraph = document.add_paragraph(style=style)
            for text, bold, italic in block.runs:
                run = paragraph.add_run(text)
                run.bold, run.italic = bold or None, italic or None
        elif kind == "code":
            for line in block.lines:
                run = document.add_paragraph().add_run(line)
                run.font.name, run.font.size = "Courier New", Pt(9)
        else:
            width = max(len(r.cells) for r in block)
            table = document.add_table(rows=len(block), cols=width)
            for r, row in enumerate(block):
                for c, text in enumerate(row.cells):
                    table.cell(r, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def to_html(markdown: str, title: str = "Design") -> bytes:
    """A plain HTML page: h1-h6, p, ul/li, table/tr/td, pre."""
    body, open_depth = [], -1
    for kind, block in _tables(blocks(markdown)):
        if kind != "item":
            body += ["</ul>"] * (open_depth + 1)
            open_depth = -1
        if kind == "heading":
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif kind == "paragraph":
            body.append(f"<p>{_html_runs(block)}</p>")
        elif kind == "item":
            while open_depth < block.level:
                body.append("<ul>")
                open_depth += 1
            while open_depth > block.level:
                body.append("</ul>")
                open_depth -= 1
            body.append(f"<li>{_html_runs(block)}</li>")
        elif kind == "code":
            body.append(f"<pre><code>{html.escape(chr(10).join(block.lines))}</code></pre>")
        else:
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r.cells) + "</tr>"
                           for r in block)
            body.append(f"<table><tbody>{rows}</tbody></table>")
    body += ["</ul>"] * (open_depth + 1)
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<script>window.analytics = 1;</script></head><body>{''.join(body)}</body></html>")
    return page.encode("utf-8")


def _html_runs(block: Block) -> str:
    out = []
    for text, bold, italic in block.runs:
        text = html.escape(text)
        text = f"<em>{text}</em>" if italic else text
        out.append(f"<strong>{text}</strong>" if bold else text)
    return "".join(out)


HEADING_SIZES = {1: 18, 2: 15, 3: 12.5, 4: 11.5, 5: 11, 6: 11}
BODY = 10


def pdf_writer():
    """An fpdf2 document with DejaVu (for the designs' Unicode) as sans and mono."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf"), ("I", "DejaVuSans-Oblique.ttf"),
                        ("BI", "DejaVuSans-BoldOblique.ttf")):
        pdf.add_font("sans", style, str(FONTS / name))
    pdf.add_font("mono", "", str(FONTS / "DejaVuSansMono.ttf"))
    pdf.add_page()
    return pdf


def to_pdf(markdown: str, images: list[bytes] = ()) -> bytes:
    """A PDF as a word processor prints one: larger bold headings, bullets, tables, mono code.
    `images`: pictures (PNG bytes) placed after the first heading, like a design's diagrams."""
    pdf = pdf_writer()
    pending = list(images)
    for kind, block in _tables(blocks(markdown)):
        pdf.set_x(pdf.l_margin)
        if kind == "heading":
            pdf.ln(3)
            pdf.set_font("sans", "B", HEADING_SIZES[block.level])
            pdf.multi_cell(0, HEADING_SIZES[block.level] * 0.5, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
            while pending:
                pdf.image(io.BytesIO(pending.pop()), w=120)
        elif kind == "paragraph":
            _pdf_runs(pdf, block.runs)
            pdf.ln(2.5)
        elif kind == "item":  # the bullet hangs: wrapped lines align with the item's text
            pdf.set_font("sans", "", BODY)
            pdf.set_x(pdf.l_margin + 5 + 6 * block.level)
            pdf.write(5, "• ")
            _pdf_runs(pdf, block.runs, indent=5 + 6 * block.level + pdf.get_string_width("• "), move=False)
            pdf.ln(1)
        elif kind == "code":
            pdf.set_font("mono", "", 8)
            for line in block.lines:
                pdf.set_x(pdf.l_margin)
                pdf.cell(0, 4, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
        else:
            pdf.set_font("sans", "", 8.5)
            with pdf.table(line_height=4.5) as table:
                for row in block:
                    cells = table.row()
                    for text in row.cells:
                        cells.cell(text)
            pdf.ln(2.5)
    return bytes(pdf.output())


def _pdf_runs(pdf, runs, indent: float = 0, move: bool = True) -> None:
    """Text in runs of its own style, wrapped at the (indented) margin."""
    margin = pdf.l_margin
    pdf.set_left_margin(margin + indent)
    if move:
        pdf.set_x(margin + indent)
    for text, bold, italic in runs:
        pdf.set_font("sans", ("B" if bold else "") + ("I" if italic else ""), BODY)
        pdf.write(5, text)
    pdf.ln(5)
    pdf.set_left_margin(margin)


# ---- a sample design, and files that are refused with what to fix

DESIGN = """\
# Search ranking

## Problem

We rank products for a **text query**. The ranker answers within 80 ms at p99.

- Candidates come from the inverted index.
- A learned ranker re-scores the top 200.

## Metrics

| metric | target |
| --- | --- |
| NDCG@10 | 0.45 |
| p99 latency | 80 ms |
"""


def zip_bomb(inflated: int = 200_000_000) -> bytes:
    """A small .docx-looking zip whose one part inflates to `inflated` bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"\0" * 1_000_000
            for _ in range(inflated // len(chunk)):
                part.write(chunk)
    return buffer.getvalue()


def blank_pdf(pages: int, image: bool = False) -> bytes:
    pdf = pdf_writer()
    for n in range(pages):
        if n:
            pdf.add_page()
        if image:
            from PIL import Image
            picture = io.BytesIO()
            Image.new("RGB", (200, 80), "white").save(picture, "PNG")
            pdf.image(picture, w=100)
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    pdf = pdf_writer()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.set_font("sans", "", 10)
    pdf.cell(0, 5, "A secret design.")
    return bytes(pdf.output())


HOSTILE = {
    "docx zip bomb": (lambda: zip_bomb(), "docx", DocumentTooLarge, "inflates to"),
    "pdf of 10,000 empty pages": (lambda: blank_pdf(10_000), "pdf", DocumentTooLarge, "10,000 pages"),
    "encrypted pdf": (encrypted_pdf, "pdf", UserError, "encrypted"),
    "truncated pdf": (lambda: to_pdf(DESIGN)[:600], "pdf", UserError, "damaged or truncated"),
    "truncated docx": (lambda: to_docx(DESIGN)[:5000], "docx", UserError, "damaged or truncated"),
    "scanned pdf": (lambda: blank_pdf(2, image=True), "pdf", UserError, "no text layer"),
    "deeply nested html": (lambda: b"<html><body><script>alert(1)</script>" + b"<div>" * 100_000 + b"x",
                           "html", UserError, "nests elements"),
    "zip that is not word": (lambda: _zip_of("notes.txt"), "docx", UserError, "not a Word document"),
}


def _zip_of(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, "hello")
    return buffer.getvalue()
