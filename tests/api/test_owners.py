"""With API keys, each key reads back only the reviews it asked for (by id or by document), unless
DESIGN_REVIEW_SHARED_HISTORY lets a team share them. A real server."""

from __future__ import annotations

import httpx

from app.config import get_settings
from helpers import read_fixture
from servers import app_server

A, B = "key-of-team-a", "key-of-team-b"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def serve_with(settings, tmp_path, **extra):
    return app_server(get_settings(store_path=settings.store_path, corpus_dir=settings.corpus_dir,
                                   database_url=f"sqlite:///{tmp_path}/r.db",
                                   api_keys=f"{A},{B}", rate_limit_per_minute=0, **extra))


def test_a_key_reads_only_its_own_reviews(settings, ingested, tmp_path):
    text = read_fixture("fraud_metrics.md") + "\nOwned by team A.\n"
    with serve_with(settings, tmp_path) as url:
        mine = httpx.post(f"{url}/v1/reviews", json={"document": text}, headers=auth(A), timeout=60).json()
        sha = mine["document"]["sha256"]
        assert httpx.get(f"{url}/v1/reviews/{mine['id']}", headers=auth(A), timeout=10).status_code == 200
        assert httpx.get(f"{url}/v1/reviews/{mine['id']}", headers=auth(B), timeout=10).status_code == 404
        listing = httpx.get(f"{url}/v1/reviews", params={"document_sha256": sha}, headers=auth(B), timeout=10)
        assert listing.status_code == 200 and listing.json()["total"] == 0
        theirs = httpx.post(f"{url}/v1/reviews", json={"document": text}, headers=auth(B), timeout=60).json()
        assert theirs["id"] != mine["id"]
        assert httpx.get(f"{url}/v1/reviews", params={"document_sha256": sha}, headers=auth(B),
                         timeout=10).json()["total"] == 1
        again = httpx.post(f"{url}/v1/reviews", json={"document": text}, headers=auth(A), timeout=60).json()
        assert again["id"] == mine["id"] and again["reviewer"]["cached"] is True


def test_a_shared_history_lets_every_key_read_every_review(settings, ingested, tmp_path):
    text = read_fixture("fraud_metrics.md") + "\nShared by the team.\n"
    with serve_with(settings, tmp_path, shared_history=True) as url:
        mine = httpx.post(f"{url}/v1/reviews", json={"document": text}, headers=auth(A), timeout=60).json()
        assert httpx.get(f"{url}/v1/reviews/{mine['id']}", headers=auth(B), timeout=10).status_code == 200
