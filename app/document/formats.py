"""The one rule for a document's format, for every door: from its file name or content type, and
for files, from their first bytes (a name or a type can lie; the bytes decide)."""

from __future__ import annotations

from pathlib import PurePath

from app.errors import UserError

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text",
            ".docx": "docx", ".pdf": "pdf", ".html": "html", ".htm": "html"}
TYPES = {"text/markdown": "markdown", "text/x-markdown": "markdown", "text/plain": "text",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
         "application/pdf": "pdf", "text/html": "html", "application/xhtml+xml": "html"}
TEXT_FORMATS = ("markdown", "text")
FILE_FORMATS = ("docx", "pdf", "html")  # converted to markdown before the review (convert.py)
FORMATS = TEXT_FORMATS + FILE_FORMATS
LABELS = {"docx": "Word (.docx)", "pdf": "PDF", "html": "HTML"}
MEDIA_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "pdf": "application/pdf", "html": "text/html"}

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 .doc, and other old Office files
_ODT = b"mimetypeapplication/vnd.oasis.opendocument.text"


def format_for_name(name: str) -> str | None:
    """A format from a file name's suffix; None for a name this rule does not know."""
    return SUFFIXES.get(PurePath(name.lower()).suffix)


def format_for_type(content_type: str | None) -> str | None:
    """A format from a MIME type (parameters ignored); None for any other type."""
    return TYPES.get((content_type or "").split(";")[0].strip().lower())


def document_format(name: str = "", content_type: str | None = None, default: str = "markdown") -> str:
    """The format of a document: by its name, else by its content type, else `default`."""
    return format_for_name(name) or format_for_type(content_type) or default


def is_document_name(name: str) -> bool:
    """Whether a file name names a document some door reads."""
    return format_for_name(name) is not None


def sniff_format(data: bytes) -> str | None:
    """The format the first bytes show: pdf, docx (any zip: convert.py looks inside), html, or
    None for text that shows none. Formats the reviewer does not read are refused here."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if data.startswith(_ZIP):
        if data[30:30 + len(_ODT)] == _ODT:
            raise UserError("this is an OpenDocument text (.odt) file, which is not read here: "
                            "save it as .docx (File > Save As) or PDF and send that")
        return "docx"
    if data.startswith(_OLE):
        raise UserError("this is a Word 97-2003 (.doc) or other legacy Office file, which is not read "
                        "here: save it as .docx (File > Save As) and send that")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")) or _is_web_archive(start):
        return "html"
    return None


def _is_web_archive(start: bytes) -> bool:
    """A MIME web archive (.mht; Confluence's "Export to Word" writes one under a .doc name)."""
    return b"mime-version:" in start and b"multipart/related" in start


def file_format(data: bytes | str, claimed: str | None) -> str:
    """The format to read a submitted document as: the bytes' own (a PDF or a Word file whatever
    its name), else the claimed one, else HTML when the text opens as a web page, else markdown.

    A document claimed to be a PDF or Word file whose bytes are not one is refused (422).
    """
    if isinstance(data, str):
        return claimed if claimed in ("markdown", "text", "html") else _refuse_text(claimed)
    sniffed = sniff_format(data)
    if sniffed in ("pdf", "docx"):
        return sniffed
    if claimed in ("pdf", "docx"):
        raise UserError(f"the file is sent as {LABELS[claimed]} but its bytes are not one (they begin "
                        f"{data[:12]!r}): send the {LABELS[claimed]} file itself, not a renamed, "
                        "damaged or empty one")
    return claimed or sniffed or "markdown"


def _refuse_text(claimed: str | None) -> str:
    if claimed is None:
        return "markdown"
    raise UserError(f"a {LABELS.get(claimed, claimed)} document must be sent as a file (multipart/form-data "
                    "on the REST API), not as text")
