"""The one reading of the corpus that the review, ingest and `check` share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.knowledge.corpus import CorpusFile, corpus_version, read_corpus
from app.knowledge.rubric import Rubric, build_rubric

_WHY = re.compile(r"\*\*Why reviewers ask\.?\*\*\s*(.+?)(?=\n\s*\*\*|\Z)", re.S)
_WHY_PITFALL = re.compile(r"\*\*Why it matters\.?\*\*\s*(.+?)(?=\n\s*\*\*|\Z)", re.S)


@dataclass(frozen=True)
class Knowledge:
    """The corpus files, the rubric they define, their version, and each entry's texts."""

    files: tuple[CorpusFile, ...]
    rubric: Rubric
    version: str
    why: dict[str, str]      # item or pitfall id -> why it matters, one paragraph
    bodies: dict[str, str]   # item or pitfall id -> its whole corpus section


def load_knowledge(corpus_dir: Path) -> Knowledge:
    """Read corpus_dir once: rubric, version, why-texts and section bodies."""
    files = tuple(read_corpus(corpus_dir))
    why, bodies = {}, {}
    for f in files:
        for section in f.sections:
            bodies[section.anchor] = section.text
            match = _WHY.search(section.text) or _WHY_PITFALL.search(section.text)
            if match:
                why[section.anchor] = " ".join(match.group(1).split())
    return Knowledge(files, build_rubric(list(files)), corpus_version(list(files)), why, bodies)
