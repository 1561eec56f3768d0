"""How much a window of a design says: a heading, 'TBD' or a list of buzzwords says nothing."""

from __future__ import annotations

import re

_LABEL = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?(?P<label>[^:.!?]{1,60}?)\s*[:\u2014\u2013]\s+(?P<rest>.+)$")
_VAGUE = re.compile(
    r"^(?:tbd|tbc|todo|n/?a|none|yes|no|standard|yes, standard|as needed|as appropriate|"
    r"to be (?:added|determined|decided|defined|aligned|confirmed|done|discussed)(?: later| with \w+)?|"
    r"will be (?:done|applied|used|added|explored|evaluated|monitored|considered|handled|defined|"
    r"determined|investigated|followed|tuned|set up)(?: later| as needed)?|"
    r"will follow the standard process|best practices?|industry standard|state[- ]of[- ]the[- ]art|"
    r"coming soon|later|see above|see below|see governance|tbd with \w+)\.?$",
    re.I,
)
_FILLER = re.compile(
    r"\b(?:tbd|to be (?:added|determined|decided|aligned|defined|confirmed)|at some point|"
    r"might be an issue|as (?:needed|appropriate)|best[- ]in[- ]class|state[- ]of[- ]the[- ]art|"
    r"industry (?:standard|best practice)|we will (?:balance|look into|think about)|"
    r"will be (?:done|applied|explored|considered|evaluated|monitored|handled)|standard (?:process|approach|imputation|loss))\b",
    re.I,
)
_VERBISH = re.compile(
    r"\b(?:is|are|was|were|be|been|will|would|should|must|can|could|we|our|it|they|this|that|"
    r"use|uses|used|using|run|runs|keep|keeps|take|takes|give|gives|get|gets|send|sends|score|"
    r"scores|compute|computes|computed|train|trained|trains|split|serve|served|do|does|not|"
    r"because|since|so|when|if|then|per|every|each|by|from|into|than|which|where)\b",
    re.I,
)
_REASON = re.compile(r"\b(?:because|since|so that|instead|rather than|otherwise|which means|so we)\b", re.I)
_NUMBER = re.compile(r"\d")
_DEFINITION = re.compile(
    r"^(?:an? |the )?(?:\w+ ){0,3}?(?:(?:is|are|means|refers to) )?(?:an? |the )(?:\w+ ){0,2}?"
    r"(?:measure|metric|tendency|degree|technique|method|way|process|system|algorithm|change|"
    r"architecture|area|practice|approach|model|set|central|neural|online|form|version)\b|"
    r"^(?:releasing|running|training|using|serving|storing|measuring|balancing|splitting|adding|"
    r"detecting|area under)\b",
    re.I,
)
_FIRST_PERSON = re.compile(r"\b(?:we|our|us|i|my)\b", re.I)
_GLOSSARY = re.compile(r"\b(?:glossary|definitions|terminology|key terms|acronyms)\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\-]*|\d[\d.,%]*")


def strip_label(text: str) -> str:
    """Drop a leading 'Label:' lead-in, keeping what the line actually says."""
    match = _LABEL.match(text)
    if match and len(match["label"].split()) <= 6:
        return match["rest"].strip()
    return text.strip()


def _is_term_list(content: str) -> bool:
    parts = [p.strip() for p in re.split(r"[,;/]|\band\b|\bor\b", content) if p.strip()]
    if len(parts) < 3:
        return False
    short = sum(1 for p in parts if len(p.split()) <= 3)
    return short / len(parts) >= 0.75 and len(_VERBISH.findall(content)) <= 1


def is_definition(text: str) -> bool:
    """A glossary line: 'Term: a thing that ...', general, with no number and no 'we'."""
    content = strip_label(text)
    return (content != text.strip() and bool(_DEFINITION.match(content))
            and not _FIRST_PERSON.search(content) and not _NUMBER.search(content))


def _is_label(text: str, kind: str) -> bool:
    """A lead-in that names what follows ("**d) Handling class imbalance:**"): it says nothing itself."""
    stripped = text.strip().strip("*_ ")
    return kind != "table_row" and stripped.endswith(":") and len(stripped.split()) <= 8


def substance(text: str, kind: str = "paragraph", section: str = "") -> float:
    """A 0..1 estimate of how much concrete content a window carries."""
    if kind in ("heading", "code") or _GLOSSARY.search(section) or _is_label(text, kind):
        return 0.0
    content = strip_label(text)
    if not content or _VAGUE.match(content.strip()):
        return 0.0
    words = _WORD.findall(content)
    if not words:
        return 0.0
    numbers = bool(_NUMBER.search(content))
    score = min(1.0, len(words) / 10.0)
    if _is_term_list(content) and not numbers:
        score *= 0.3
    if _FILLER.search(content):
        score *= 0.35
    if is_definition(text):
        score *= 0.2
    if numbers:
        score = min(1.0, score + 0.3)
    if _REASON.search(content):
        score = min(1.0, score + 0.15)
    return round(score, 4)
