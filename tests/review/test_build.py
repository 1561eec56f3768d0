"""Building a reviewer: only over a store that holds this corpus embedded by this model."""

from __future__ import annotations

import shutil

import pytest

from app.errors import StoreNotReady
from app.review.build import build_reviewer, ingest


@pytest.fixture
def own_store(settings, ingested, tmp_path):
    """Settings with a corpus copy and a store of their own, ingested."""
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    mine = settings.model_copy(update={"corpus_dir": corpus, "store_path": tmp_path / "chroma"})
    ingest(mine, progress=False)
    return mine


def test_a_store_of_an_older_corpus_is_refused_with_the_fix(own_store):
    build_reviewer(own_store)  # in line: builds
    stage = next(own_store.corpus_dir.glob("stages/*.md"))
    stage.write_text(stage.read_text() + "\nOne more sentence of guidance, added after the ingest.\n")
    with pytest.raises(StoreNotReady, match="design-review ingest"):
        build_reviewer(own_store)


def test_the_command_lines_reviewer_brings_a_stale_store_in_line(own_store, capsys):
    stage = next(own_store.corpus_dir.glob("stages/*.md"))
    stage.write_text(stage.read_text() + "\nAnother sentence of guidance.\n")
    reviewer = build_reviewer(own_store, ingest_if_empty=True)
    assert "ingesting it first" in capsys.readouterr().err
    assert reviewer.rubric.stages
    build_reviewer(own_store)  # now in line without help
