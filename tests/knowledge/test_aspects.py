"""Every rubric item lists its aspects in the corpus, each asking without naming any design."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.document.terms import names_in
from app.errors import CorpusError
from app.knowledge.corpus import CorpusFile
from app.knowledge.loader import load_knowledge
from app.knowledge.rubric import build_rubric

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def test_every_item_has_aspects_with_a_label_keywords_an_anchor_and_a_question():
    rubric = load_knowledge(CORPUS).rubric
    for item in rubric.items():
        assert 1 <= len(item.aspects) <= 6, item.id
        labels = [a.label for a in item.aspects]
        assert len(set(labels)) == len(labels), item.id
        for a in item.aspects:
            assert a.label and a.keywords and a.anchor and a.ask.endswith("?"), (item.id, a.label)
            assert names_in(a.ask) == [], (item.id, a.ask)  # the design's own terms are filled in


def test_an_aspect_without_its_question_is_refused():
    meta = {"kind": "stage", "id": "s", "items": [{"id": "s.a", "aspects": [{"label": "x", "anchor": "y"}]}]}
    with pytest.raises(CorpusError, match="aspect"):
        build_rubric([CorpusFile(source="stages/s.md", meta=meta, sections=(), sha256="")])
