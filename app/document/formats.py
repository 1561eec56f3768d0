"""The one rule for a document's format from its file name or content type, for every door."""

from __future__ import annotations

from pathlib import PurePath

MARKDOWN_SUFFIXES = (".md", ".markdown")
TEXT_SUFFIXES = (".txt", ".text")
MARKDOWN_TYPES = {"text/markdown", "text/x-markdown"}
TEXT_TYPES = {"text/plain"}
FORMATS = ("markdown", "text")


def format_for_name(name: str) -> str | None:
    """markdown or text from a file name's suffix; None for a name this rule does not know."""
    suffix = PurePath(name.lower()).suffix
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return None


def format_for_type(content_type: str | None) -> str | None:
    """markdown or text from a MIME type (parameters ignored); None for any other type."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in MARKDOWN_TYPES:
        return "markdown"
    if kind in TEXT_TYPES:
        return "text"
    return None


def document_format(name: str = "", content_type: str | None = None, default: str = "markdown") -> str:
    """The format of a document: by its name, else by its content type, else `default`."""
    return format_for_name(name) or format_for_type(content_type) or default


def is_document_name(name: str) -> bool:
    """Whether a file name names a document some door reads (markdown or text)."""
    return format_for_name(name) is not None
