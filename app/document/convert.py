"""Word, PDF and HTML files converted to the markdown the reviewer reads, each line mapped back to
where it is in the file.

`convert_file` runs the conversion in a child process (app/document/child.py) under a memory
limit and a deadline: a zip bomb, a PDF engine stuck in a broken file or a page that nests without
end costs that process, never the service. At most CONVERSIONS run at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.errors import DocumentTooLarge, Refused, UserError
from app.document.formats import LABELS

CONVERTER_VERSION = "1"  # part of a stored review's key: a new converter is a new review
CONVERSIONS = 2
_SLOTS = threading.BoundedSemaphore(CONVERSIONS)
_SAME_LINE_RUN = re.compile(r"^(.*\bline )(\d+)$")


@dataclass(frozen=True)
class Limits:
    """What one conversion may take: the file, what it inflates to, pages, text, time, memory."""

    max_file_bytes: int = 25_000_000
    max_inflated_bytes: int = 100_000_000  # a .docx's parts, inflated
    max_pages: int = 1_000
    max_text_bytes: int = 1_000_000  # the converted markdown (DESIGN_REVIEW_MAX_DOCUMENT_BYTES)
    max_seconds: float = 20.0
    max_memory_bytes: int = 2_000_000_000  # the child's address space (not its resident memory)


@dataclass(frozen=True)
class Converted:
    """A file as markdown: its text, where each line of it is in the file, and its title."""

    text: str
    locations: tuple[str, ...]
    format: str
    title: str = ""
    sha256: str = ""  # of the file's bytes
    peak_rss_kb: int = field(default=0, compare=False)  # the converting process's peak memory

    def where(self, start: int, end: int | None = None) -> str | None:
        """Where lines start..end of the text are in the file ("page 3, lines 4-6"); None when unknown."""
        if not 1 <= start <= len(self.locations):
            return None
        first = self.locations[start - 1]
        last = self.locations[end - 1] if end and start < end <= len(self.locations) else first
        if first == last:
            return first
        a, b = _SAME_LINE_RUN.match(first), _SAME_LINE_RUN.match(last)
        if a and b and a.group(1) == b.group(1):
            return f"{a.group(1)[:-5]}lines {a.group(2)}-{b.group(2)}"
        return f"{first} to {last}"


def convert_here(data: bytes, fmt: str, limits: Limits = Limits()) -> Converted:
    """The conversion itself, in this process: what the child runs (and tests of the converters)."""
    if fmt == "docx":
        from app.document.word import convert_docx
        out, title = convert_docx(data, limits.max_inflated_bytes, limits.max_text_bytes)
    elif fmt == "pdf":
        from app.document.pdf import convert_pdf
        out, title = convert_pdf(data, limits.max_pages, limits.max_text_bytes)
    elif fmt == "html":
        from app.document.webpage import convert_html
        out, title = convert_html(data, limits.max_text_bytes)
    else:
        raise UserError(f"{fmt} is not a file format that is converted")
    text = out.text()
    if not text.strip():
        raise UserError(f"the {LABELS[fmt]} file holds no text to review")
    return Converted(text, tuple(out.locations), fmt, " ".join(title.split())[:300],
                     hashlib.sha256(data).hexdigest())


def convert_file(data: bytes, fmt: str, limits: Limits = Limits()) -> Converted:
    """`convert_here` in a child process with the limits; a refusal says what to fix (413/422)."""
    if len(data) > limits.max_file_bytes:
        raise DocumentTooLarge(f"the {LABELS[fmt]} file is {len(data):,} bytes; the limit is "
                               f"{limits.max_file_bytes:,} bytes")
    if not _SLOTS.acquire(timeout=limits.max_seconds):
        raise Refused(503, "every converter is busy with other files; retry after the Retry-After seconds", 5)
    try:
        done = subprocess.run([sys.executable, "-m", "app.document.child", fmt, json.dumps(asdict(limits))],
                              input=data, capture_output=True, timeout=limits.max_seconds, env=_child_env())
    except subprocess.TimeoutExpired:
        raise DocumentTooLarge(f"the {LABELS[fmt]} file took more than {limits.max_seconds:g} s to convert: "
                               "send a smaller or simpler file (the design alone, without embedded objects)") from None
    finally:
        _SLOTS.release()
    return _answer(done, fmt, limits)


def _answer(done: subprocess.CompletedProcess, fmt: str, limits: Limits) -> Converted:
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):  # the child died: out of memory, or the parser crashed
        if b"MemoryError" in done.stderr or done.returncode < 0:
            raise DocumentTooLarge(f"the {LABELS[fmt]} file needs more than the "
                                   f"{limits.max_memory_bytes // 1_000_000:,} MB a conversion may use: send a "
                                   "smaller or simpler file")
        raise UserError(f"the {LABELS[fmt]} file could not be read (it may be damaged): export it again "
                        "and send the whole file")
    if "error" in answer:
        kind = DocumentTooLarge if answer.get("status") == 413 else UserError
        raise kind(answer["error"])
    return Converted(answer["text"], tuple(answer["locations"]), fmt, answer.get("title", ""),
                     answer.get("sha256", ""), answer.get("peak_rss_kb", 0))


def _child_env() -> dict[str, str]:
    """This environment, with the folder that holds the app package first on the import path."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env
