"""Grounding: an LLM's quote must be in the document at the lines it cites, and must not be an instruction."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

MIN_QUOTE_CHARS = 12   # shorter quotes ("latency") match almost anywhere
LINE_MARGIN = 2        # models miscount lines by one or two
MAX_SPAN_LINES = 12    # a quote is a sentence, not a section
MATCH_RATIO = 90       # rapidfuzz partial ratio, 0-100, after normalising both sides
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_NOISE = re.compile(r"[*`#>|_~\[\]\\]+")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})
# Text addressed to a reviewer or a model rather than describing a system.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,60}\b(instructions?|rubric|prompts?|rules|guidelines|"
    r"checklist|above|previous|prior)\b"
    r"|\b(mark|rate|score|grade|judge|treat|consider|report|label)\b.{0,60}\b(everything|every item|all items|"
    r"all stages|all sections|this document|this design)\b.{0,40}\b(covered|complete|perfect|pass|strong|full marks|100)"
    r"|\b(mark|rate|score|grade|label)\b.{0,30}\bas covered\b"
    r"|\byou are (an? |the )?(ai|assistant|language model|llm|model|reviewer|grader)\b"
    r"|\b(system prompt|new instructions|as an ai|reviewer bot|dear (ai|llm|model|reviewer))\b"
    r"|\b(assistant|system)\s*:", re.I | re.S)


def visible_lines(text: str) -> list[str]:
    """The document's lines with HTML comments blanked (kept as empty lines, so numbers hold)."""
    cleared = _HTML_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    return cleared.split("\n")


def normalise(text: str) -> str:
    """Case, whitespace, typographic quotes and markdown marks folded away."""
    return " ".join(_NOISE.sub(" ", text.translate(_QUOTES).casefold()).split())


def instruction_like(text: str) -> bool:
    """Whether the text speaks to the reviewer (prompt injection) instead of describing the design."""
    return bool(_INSTRUCTION.search(text))


def injection_lines(lines: list[str]) -> list[int]:
    """1-based numbers of the lines that read as instructions to a reviewer."""
    return [n for n, line in enumerate(lines, 1) if instruction_like(line)]


@dataclass(frozen=True)
class QuoteCheck:
    """Where a quote was found (the document's own lines), or why it was not."""

    start_line: int = 0
    end_line: int = 0
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_quote(lines: list[str], quote: str, cited: list[int]) -> QuoteCheck:
    """Find the quote within the cited lines (± a small margin), tolerant to case, spacing and typos."""
    wanted = normalise(quote)
    if len(wanted) < MIN_QUOTE_CHARS:
        return QuoteCheck(problem="no quote, or one too short to check")
    if not cited or any(not isinstance(n, int) for n in cited):
        return QuoteCheck(problem="no line numbers for the quote")
    start, end = min(cited), max(cited)
    if start < 1 or end > len(lines) or end - start >= MAX_SPAN_LINES:
        return QuoteCheck(problem=f"lines {start}-{end} are not a quotable span of this document")
    first = max(1, start - LINE_MARGIN)
    last = min(len(lines), end + LINE_MARGIN)
    region, offsets = "", []
    for n in range(first, last + 1):
        offsets.append((len(region), n))
        region += normalise(lines[n - 1]) + " "
    at = region.find(wanted)
    if at < 0:
        found = fuzz.partial_ratio_alignment(wanted, region)
        if found is None or found.score < MATCH_RATIO:
            return QuoteCheck(problem=f"quote not found at lines {start}-{end}")
        at, stop = found.dest_start, found.dest_end
    else:
        stop = at + len(wanted)
    return QuoteCheck(_line_at(offsets, at), _line_at(offsets, max(at, stop - 1)))


def _line_at(offsets: list[tuple[int, int]], pos: int) -> int:
    return next(n for begin, n in reversed(offsets) if begin <= pos)
