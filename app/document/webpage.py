"""HTML files as markdown: a page saved or exported from Google Docs, Confluence, Notion or a wiki.

A streaming parser (the standard library's html.parser): it holds the stack of open elements and
the text of one block, never a tree, so a page's size and nesting cost what they cost and no more;
nesting past MAX_DEPTH is refused. Scripts, styles and page chrome (Confluence's breadcrumbs,
footer, table of contents and expand controls) are dropped; headings, lists, tables and code stay.
"""

from __future__ import annotations

import email
import re
from html.parser import HTMLParser

from app.errors import UserError
from app.document.writer import MarkdownWriter, Outline

MAX_DEPTH = 1_000
_SKIPPED = {"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas",
            "button", "select", "head", "nav"}
_SKIPPED_IDS = {"breadcrumb-section", "footer", "footer-body", "navigation", "comments-section"}
_SKIPPED_CLASSES = {"toc-macro", "expand-control", "aui-icon", "hidden"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCKS = {"p", "div", "li", "tr", "td", "th", "pre", "blockquote", "dt", "dd", "figcaption", "caption",
           "section", "article", "main", "header", "footer", "table", "ul", "ol", "dl", "h1", "h2", "h3",
           "h4", "h5", "h6", "address", "aside", "details", "summary", "body", "html", "hr"}
_CLOSES = {"p": {"p"}, "li": {"li"}, "td": {"td", "th"}, "th": {"td", "th"}, "tr": {"tr", "td", "th"},
           "dt": {"dt", "dd"}, "dd": {"dt", "dd"}}
_GOOGLE_LIST_LEVEL = re.compile(r"\blst-kix_[\w-]*?-(\d+)\b")
_CHARSET = re.compile(rb"""charset=["']?([\w-]+)""", re.I)
_SPACE = re.compile(r"\s+")
_CSS_RULE = re.compile(r"\.([\w-]+)\s*\{([^}]*)\}")


def decode_page(data: bytes) -> str:
    """The page's text: a MIME web archive's HTML part, in the charset the page names (else UTF-8)."""
    head = data[:2048].lower()
    if b"mime-version:" in head and b"multipart/related" in head:
        data = _archive_html(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        named = _CHARSET.search(data[:4096])
        try:
            return data.decode(named.group(1).decode("ascii") if named else "cp1252", errors="replace")
        except LookupError:
            return data.decode("cp1252", errors="replace")


def _archive_html(data: bytes) -> bytes:
    message = email.message_from_bytes(data)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True) or b""
    raise UserError("the web archive holds no HTML part: export the page as HTML or .docx instead")


def convert_html(data: bytes, max_text: int) -> tuple[MarkdownWriter, str]:
    """The page's markdown (with heading-path locations) and its <title>."""
    reader = PageReader(MarkdownWriter(max_text))
    reader.feed(decode_page(data))
    reader.close()
    reader.flush()
    return reader.out, reader.title


class PageReader(HTMLParser):
    """Turns parser events into markdown blocks as they come."""

    def __init__(self, out: MarkdownWriter) -> None:
        super().__init__(convert_charrefs=True)
        self.out, self.outline = out, Outline()
        self.stack: list[tuple[str, bool, int, str]] = []  # open: (tag, skipped, heading level, emphasis)
        self.bold_classes: set[str] = set()  # Google Docs styles its runs by class: .c3{font-weight:700}
        self.italic_classes: set[str] = set()
        self.skipping = 0
        self.text: list[str] = []
        self.cells: list[str] | None = None  # the open table row's cells
        self.tables = self.lists = 0
        self.list_level: int | None = None
        self.title, self._in_title = "", False
        self.table_where, self.rows = "", 0

    # ---- parser events

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "title":
            self._in_title = True
        if tag in _VOID:
            if tag == "br":
                self.text.append("\n" if self._inside("pre") else " ")
            return
        for closed in _CLOSES.get(tag, ()):  # <p> inside <p>, <li> after <li>: the first one ends
            if self.stack and self.stack[-1][0] == closed:
                self.handle_endtag(closed)
        skip = self._skips(tag, attributes)
        if tag in _BLOCKS and not self.skipping:
            self._start_block(tag, attributes)
        mark = "" if self.skipping or skip else self._emphasis(tag, attributes)
        if mark:
            self.text.append(mark)
        self.stack.append((tag, skip, _heading_level(tag, attributes), mark))
        self.skipping += skip
        if len(self.stack) > MAX_DEPTH:
            raise UserError(f"the HTML nests elements more than {MAX_DEPTH} deep: it is not a document "
                            "export; save the page again from its editor (File > Download > HTML)")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        """<br/>, <p/>: an element that opens and closes at once."""
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        for depth in range(len(self.stack) - 1, max(-1, len(self.stack) - 64), -1):
            if self.stack[depth][0] == tag:  # an end tag with no open element near the top is ignored
                while len(self.stack) > depth:
                    name, skip, _, mark = self.stack[-1]
                    if name in _BLOCKS and not self.skipping:
                        self._end_block(name)  # while it is open: a heading knows it is one
                    if mark:
                        self._close_emphasis(mark)
                    self.stack.pop()
                    self.skipping -= skip
                return

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self.stack and self.stack[-1][0] == "style":
            self._read_styles(data)
        elif not self.skipping:
            self.text.append(data)

    # ---- emphasis

    def _read_styles(self, css: str) -> None:
        for name, body in _CSS_RULE.findall(css):
            body = body.replace(" ", "")
            if "font-weight:700" in body or "font-weight:bold" in body:
                self.bold_classes.add(name)
            if "font-style:italic" in body:
                self.italic_classes.add(name)

    def _emphasis(self, tag: str, attributes: dict) -> str:
        """The markdown emphasis an inline element carries: <b>, <em>, or a bold or italic style."""
        style = (attributes.get("style") or "").replace(" ", "")
        classes = set((attributes.get("class") or "").split())
        bold = (tag in ("b", "strong") or "font-weight:700" in style or "font-weight:bold" in style
                or bool(classes & self.bold_classes))
        italic = tag in ("i", "em") or "font-style:italic" in style or bool(classes & self.italic_classes)
        if tag in _BLOCKS or _heading_level(tag, attributes):
            return ""
        return ("**" if bold else "") + ("*" if italic else "")

    def _close_emphasis(self, mark: str) -> None:
        if self.text and self.text[-1] == mark:  # nothing inside: no markers at all
            self.text.pop()
            return
        last = self.text.pop() if self.text else ""
        core = last.rstrip()
        self.text += [core, mark[::-1], last[len(core):]]

    # ---- blocks

    def _skips(self, tag: str, attributes: dict) -> bool:
        classes = set((attributes.get("class") or "").split())
        return (tag in _SKIPPED or attributes.get("id") in _SKIPPED_IDS or bool(classes & _SKIPPED_CLASSES)
                or "display:none" in (attributes.get("style") or "").replace(" ", ""))

    def _inside(self, tag: str) -> bool:
        return any(entry[0] == tag for entry in self.stack)

    def _start_block(self, tag: str, attributes: dict) -> None:
        self.flush()
        if tag == "table":
            self.tables += 1
            if self.tables == 1:
                self.table_where = self.outline.paragraph()
                self.rows = 0
                self.out.end_block()
        elif tag == "tr" and self.tables == 1:
            self.cells = []
        elif tag in ("ul", "ol"):
            self.lists += 1
            level = _GOOGLE_LIST_LEVEL.search(attributes.get("class") or "")
            self.list_level = int(level.group(1)) if level else None

    def _end_block(self, tag: str) -> None:
        if tag == "tr" and self.tables == 1 and self.cells is not None:
            if "".join(self.text).strip():  # text outside any cell
                self._cell()
            self.text = []
            self.rows += 1
            self.out.row(self.cells, f"{self.table_where}, table row {self.rows}")
            self.cells = None
        elif tag in ("td", "th") and self.tables == 1:
            self._cell()
        else:
            self.flush(closing=tag)
        if tag == "table":
            self.tables = max(0, self.tables - 1)
            if not self.tables:
                self.out.end_block()
        elif tag in ("ul", "ol"):
            self.lists = max(0, self.lists - 1)

    def _cell(self) -> None:
        if self.cells is not None:
            self.cells.append(_SPACE.sub(" ", "".join(self.text)).strip())
        self.text = []

    def flush(self, closing: str = "") -> None:
        """The text gathered so far as the block the open elements make it."""
        if self.tables and self.cells is not None:
            self.text.append(" ")  # a paragraph inside a cell: the cell goes on
            return
        raw, self.text = "".join(self.text), []
        if self.tables and self.cells is None and not raw.strip():
            return
        heading = next((entry[2] for entry in reversed(self.stack) if entry[2]), None)
        if heading:
            raw = raw.replace("*", "")  # a heading's own emphasis is not the reader's
            if raw.strip():
                self.out.heading(heading, raw, self.outline.heading(heading, raw))
        elif self._inside("pre") or closing == "pre":
            lines = raw.strip("\n").split("\n")
            self.out.code(lines, [self.outline.paragraph()] * len(lines))
        elif raw.strip():
            if self._inside("li") or closing == "li":
                depth = self.list_level if self.list_level is not None else max(0, self.lists - 1)
                self.out.item(raw, self.outline.paragraph(), depth)
            else:
                self.out.paragraph(raw, self.outline.paragraph())


def _heading_level(tag: str, attributes: dict) -> int:
    """1-6 for <h1>-<h6>; 1 for Google Docs' Title style (<p class="title">); else 0."""
    if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
        return int(tag[1])
    return 1 if tag == "p" and "title" in (attributes.get("class") or "").split() else 0
