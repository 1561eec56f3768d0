"""The TF-IDF similarity is scikit-learn's TfidfVectorizer to the last bit (where it is installed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.document.parse import parse_document
from app.knowledge.loader import load_knowledge
from app.scoring.lexical import ENGLISH_STOP_WORDS, ItemTerms, analyze

from helpers import FIXTURES, REPO

text = pytest.importorskip("sklearn.feature_extraction.text", reason="scikit-learn (the dev extra) is not installed")


def _item_texts() -> list[str]:
    """What the scorer builds its TF-IDF from: each item's title, keywords, anchors and corpus section."""
    knowledge = load_knowledge(REPO / "corpus")
    return [" ".join([i.title, *i.keywords, *i.anchors, knowledge.bodies.get(i.id, "")])
            for i in knowledge.rubric.items()]


def _windows() -> list[str]:
    designs = [REPO / "examples" / "recsys_design.md", *sorted(Path(FIXTURES).glob("*.md"))]
    windows = [w.text for d in designs for w in parse_document(d.read_text(), None, "markdown").windows]
    return windows + ["", "the and of", "unseen-word another-unseen 42", "cache cache caching cached"]


def test_the_stop_words_are_scikit_learns():
    assert ENGLISH_STOP_WORDS == text.ENGLISH_STOP_WORDS


def test_the_similarity_is_scikit_learns_bit_for_bit():
    items, windows = _item_texts(), _windows()
    reference = text.TfidfVectorizer(sublinear_tf=True, analyzer=analyze)
    terms = reference.fit_transform(items).T.tocsc()
    expected = (reference.transform(windows) @ terms).toarray()
    got = ItemTerms(items).similarity(windows)
    assert got.shape == expected.shape == (len(windows), len(items))
    assert np.array_equal(got, expected)
    assert ItemTerms(items).similarity([]).shape == (0, len(items))
