"""Start-up with a broken Chroma store: a clear error in /healthz naming the fix, or an automatic ingest."""

from __future__ import annotations

import httpx

from app.config import get_settings
from helpers import read_fixture
from servers import app_server, wait_healthy


def corrupt_store(folder) -> None:
    folder.mkdir(parents=True)
    (folder / "chroma.sqlite3").write_bytes(b"this is not a database\x00" * 512)


def test_a_corrupt_store_is_an_error_in_healthz_naming_the_fix(tmp_path, corpus_snapshot):
    store = tmp_path / "chroma"
    corrupt_store(store)
    settings = get_settings(store_path=store, corpus_dir=corpus_snapshot, database_url=f"sqlite:///{tmp_path}/r.db")
    with app_server(settings, healthy=False) as url:
        health = wait_healthy(url, timeout=60, allow_error=True)
        assert health.status_code == 503 and health.json()["status"] == "error"
        assert "design-review ingest" in health.json()["error"]
        review = httpx.post(f"{url}/v1/reviews", json={"document": "# A design\n\nWe use AUC."}, timeout=30)
        assert review.status_code == 503 and "design-review ingest" in review.json()["detail"]


def test_auto_ingest_rebuilds_a_corrupt_store_and_keeps_the_old_one_aside(tmp_path, corpus_snapshot):
    store = tmp_path / "chroma"
    corrupt_store(store)
    settings = get_settings(store_path=store, corpus_dir=corpus_snapshot, database_url=f"sqlite:///{tmp_path}/r.db", auto_ingest=True)
    with app_server(settings, timeout=300) as url:
        review = httpx.post(f"{url}/v1/reviews", json={"document": read_fixture("fraud_metrics.md")},
                            timeout=60)
        assert review.status_code == 200 and review.json()["stages"]
    assert [p.name.startswith("chroma.corrupt-") for p in tmp_path.iterdir()].count(True) == 1
