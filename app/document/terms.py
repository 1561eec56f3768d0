"""Names in a text: the terms a question names, the lines it cites, and whether a design holds them.

A name is a token that reads as one: it has a digit (NDCG@10, p99, 10%), a capital inside it
(LightGBM, PR-AUC) or is a capitalized word inside a sentence (Kafka, BigQuery). Quoted text counts as
a name too. A question about a design may name only what the design itself says.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"[\"“`]([^\"”`]{4,}?)[\"”`]")
_LINES = re.compile(r"\blines?\s+(\d+)(?:\s*(?:-|–|to|and)\s*(\d+))?", re.I)
_TOKEN = re.compile(r"[A-Za-z0-9][\w@.+/%&-]*[\w%+]|[A-Za-z0-9]")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$")
# Words that read as names by their shape but are the review's own vocabulary.
GENERIC = frozenset({"A/B", "ML", "API", "I", "OK", "ID", "IDs", "Line", "Lines"})


def cited_lines(text: str) -> list[int]:
    """Line numbers a text cites ("line 42", "lines 3-5")."""
    out: list[int] = []
    for m in _LINES.finditer(text):
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        out += list(range(first, min(last, first + 50) + 1))
    return out


def quoted_in(text: str) -> list[str]:
    """The quoted passages of a text."""
    return [q.strip() for q in _QUOTED.findall(text) if q.strip()]


def names_in(text: str) -> list[str]:
    """Name-like tokens of a text (line references and quotes left out), in order, once each."""
    bare = _QUOTED.sub(" ", _LINES.sub(" ", text))
    out: list[str] = []
    previous = ""
    for m in _TOKEN.finditer(bare):
        token = m.group().strip(".-/")
        starts_sentence = not previous or bool(_SENTENCE_END.search(bare[: m.start()]))
        previous = token
        if not token or token in GENERIC or token in out:
            continue
        inner_capital = any(c.isupper() for c in token[1:])
        capitalized = token[0].isupper() and not starts_sentence
        if any(c.isdigit() for c in token) or inner_capital or capitalized:
            out.append(token)
    return out


def fold(text: str) -> str:
    """Lower case, whitespace folded: how names are looked for in a design."""
    return " ".join(text.casefold().split())


def in_text(name: str, folded_text: str) -> bool:
    """Whether a name (or quote) appears in the design's folded text."""
    return fold(name) in folded_text


def foreign_names(text: str, design: str, n_lines: int) -> list[str]:
    """What a question names or quotes that the design does not hold, and lines it cannot cite."""
    folded = fold(design)
    wrong = [n for n in names_in(text) + quoted_in(text) if not in_text(n, folded)]
    wrong += [f"line {n}" for n in cited_lines(text) if not 1 <= n <= n_lines]
    return wrong


def surface(term: str, text: str) -> str | None:
    """The text's own spelling of a term (case-insensitive match), or None when it is not there."""
    at = text.casefold().find(term.casefold())
    return text[at:at + len(term)] if at >= 0 else None
