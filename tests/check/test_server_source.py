"""Where the check gets its reviews (app/check/sources.py): the API of a running server, compared with
the in-process source over the same store."""

from __future__ import annotations

import json

import httpx
import pytest

from app.check.sources import ServerSource
from app.errors import UserError

from helpers import CHECK_FIXTURES


def test_server_source_sends_the_key_and_parses_reviews(server_url, source):
    seen = []
    client = httpx.Client(timeout=60, event_hooks={"request": [seen.append]})
    remote = ServerSource(server_url, "s3cret", client=client)
    assert remote.rubric.version == source.rubric.version
    assert [i.id for i in remote.rubric.items()] == [i.id for i in source.rubric.items()]
    text = (CHECK_FIXTURES / "weak.md").read_text()
    review = remote.review(text.encode(), "markdown", frozenset())
    local = source.reviewer.review(text)
    same = {"id", "created_at", "reviewer"}  # the review itself, not when or by which process
    assert review.model_dump(exclude=same) == local.model_dump(exclude=same)
    assert all(r.headers["authorization"] == "Bearer s3cret" for r in seen)
    assert json.loads(seen[-1].content) == {"document": text, "format": "markdown", "title": None}
    with pytest.raises(UserError, match="empty"):
        remote.review(b"   \n", "markdown", frozenset())


def test_server_source_sends_a_word_file_as_multipart(server_url, source):
    """A .docx travels as the file it is and the API converts it: the same review as in process."""
    from pathlib import Path

    data = (Path(__file__).resolve().parents[2] / "examples" / "recsys_design.docx").read_bytes()
    seen = []
    client = httpx.Client(timeout=60, event_hooks={"request": [seen.append]})
    remote = ServerSource(server_url, "s3cret", client=client)
    review = remote.review(data, "docx", frozenset())
    assert seen[-1].headers["content-type"].startswith("multipart/form-data")
    local = source.review(data, "docx", frozenset())
    assert [(s.id, s.score) for s in review.stages] == [(s.id, s.score) for s in local.stages]
    assert review.document.sha256 == local.document.sha256
    with pytest.raises(UserError, match="PDF|pdf"):
        remote.review(b"not a pdf at all", "pdf", frozenset())
