"""A stored review keeps the text it read: GET /v1/reviews/{id}/document answers it (what a shared
review page shows), to the key that stored it. A real server."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.config import get_settings
from helpers import read_fixture
from servers import app_server

A, B = "key-of-team-a", "key-of-team-b"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_stored_review_answers_its_document_to_its_owner(settings, ingested, tmp_path):
    text = read_fixture("fraud_metrics.md") + "\nKept with its review.\n"
    with app_server(get_settings(store_path=settings.store_path, corpus_dir=settings.corpus_dir,
                                 database_url=f"sqlite:///{tmp_path}/r.db", api_keys=f"{A},{B}",
                                 rate_limit_per_minute=0)) as url:
        review = httpx.post(f"{url}/v1/reviews", json={"document": text}, headers=auth(A), timeout=60).json()
        got = httpx.get(f"{url}/v1/reviews/{review['id']}/document", headers=auth(A), timeout=10)
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/plain")
        assert got.text == text
        # its lines are the lines the review cites
        lines = got.text.split("\n")
        for stage in review["stages"]:
            for item in stage["items"]:
                for e in item["evidence"]:
                    assert e["quote"][:30] in lines[e["start_line"] - 1]
        assert httpx.get(f"{url}/v1/reviews/{review['id']}/document", headers=auth(B), timeout=10).status_code == 404
        assert httpx.get(f"{url}/v1/reviews/nope/document", headers=auth(A), timeout=10).status_code == 404
        assert httpx.get(f"{url}/v1/reviews/{review['id']}/document", timeout=10).status_code == 401


def test_a_word_files_review_keeps_the_markdown_it_was_converted_to(settings, ingested, tmp_path):
    data = (EXAMPLES / "recsys_design.docx").read_bytes()
    with app_server(get_settings(store_path=settings.store_path, corpus_dir=settings.corpus_dir,
                                 database_url=f"sqlite:///{tmp_path}/r.db", rate_limit_per_minute=0)) as url:
        review = httpx.post(f"{url}/v1/reviews", files={"file": ("design.docx", data)}, timeout=120).json()
        text = httpx.get(f"{url}/v1/reviews/{review['id']}/document", timeout=10).text
        assert text.startswith("#") and len(text.split("\n")) == review["document"]["lines"]
