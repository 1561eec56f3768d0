"""Stored reviews (app/storage/reviews.py): the store itself, SQLite file or PostgreSQL, and that a
review outlives a killed server. (The REST routes over the store: tests/api/test_history.py.)

PostgreSQL runs when DESIGN_REVIEW_TEST_POSTGRES_URL is set (`.ci/run` starts one); else skipped.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid

import httpx
import pytest

from app.storage.reviews import DEFAULT_SQLITE_PATH, cache_key, open_review_store, redact
from helpers import POSTGRES_URL, read_fixture
from servers import ProcessServer, process_env


@pytest.fixture(scope="module")
def sample(reviewer):
    return reviewer.review(read_fixture("fraud_metrics.md"))


def copy_of(review, **reviewer_fields):
    """The review under a new id and time (and reviewer fields), as a later review would be."""
    n = copy_of.counter = getattr(copy_of, "counter", 0) + 1
    info = review.reviewer.model_copy(update=reviewer_fields)
    return review.model_copy(update={"id": uuid.uuid4().hex, "reviewer": info,
                                     "created_at": f"2030-01-01T00:00:{n:02d}+00:00"})


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = open_review_store(f"sqlite:///{tmp_path}/reviews.db")
    else:
        if not POSTGRES_URL:
            pytest.skip("DESIGN_REVIEW_TEST_POSTGRES_URL is not set")
        s = open_review_store(POSTGRES_URL)
    yield s
    s.close()


def test_a_stored_review_comes_back_equal(store, sample):
    review = copy_of(sample)
    store.put(review, "key-a")
    assert store.get(review.id) == review
    assert store.get("no-such-id") is None


def test_the_cache_key_finds_the_newest_review_that_is_not_degraded(store, sample):
    key = f"key-{uuid.uuid4().hex}"
    first, second = copy_of(sample), copy_of(sample)
    store.put(first, key)
    store.put(second, key)
    store.put(copy_of(sample, degraded=True, degraded_reason="the LLM timed out"), key)
    assert store.find_cached(key).id == second.id
    assert store.find_cached("another-key") is None


def test_history_is_newest_first_and_paginated(store, sample):
    sha = uuid.uuid4().hex * 2  # a document hash of its own, so earlier tests do not count
    doc = sample.document.model_copy(update={"sha256": sha})
    reviews = [copy_of(sample).model_copy(update={"document": doc}) for _ in range(5)]
    for r in reviews:
        store.put(r, "k")
    page = store.history(sha, limit=2, offset=0)
    assert page.total == 5 and [r.id for r in page.reviews] == [reviews[4].id, reviews[3].id]
    rest = store.history(sha, limit=10, offset=2)
    assert [r.id for r in rest.reviews] == [r.id for r in reviews[2::-1]]


def test_putting_the_same_review_twice_keeps_one_row(store, sample):
    # a document hash of its own: a database kept between runs holds many reviews of the sample
    doc = sample.document.model_copy(update={"sha256": uuid.uuid4().hex * 2})
    review = copy_of(sample).model_copy(update={"document": doc})
    store.put(review, "k")
    store.put(review, "k")
    assert store.history(review.document.sha256, 100, 0).reviews.count(review) == 1


def test_sqlite_runs_in_wal_mode(tmp_path):
    open_review_store(f"sqlite:///{tmp_path}/r.db").ping()
    assert sqlite3.connect(tmp_path / "r.db").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_crash_in_the_middle_of_a_write_leaves_the_store_readable(tmp_path, sample):
    url = f"sqlite:///{tmp_path}/r.db"
    store = open_review_store(url)
    kept = copy_of(sample)
    store.put(kept, "k")
    # A process that starts a write, writes a row and dies before committing.
    crash = (
        "import os, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute('BEGIN')\n"
        "conn.execute(\"INSERT INTO reviews (id, created_at, document_sha256, cache_key, degraded, body) "
        "VALUES ('torn', 't', 's', 'k', 0, '{half')\")\n"
        "os._exit(9)\n")
    done = subprocess.run([sys.executable, "-c", crash, str(tmp_path / "r.db")], timeout=60)
    assert done.returncode == 9
    again = open_review_store(url)
    assert again.get(kept.id) == kept
    assert again.get("torn") is None
    conn = sqlite3.connect(tmp_path / "r.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_cache_key_changes_with_every_option_and_version():
    base = cache_key("a" * 64, {"format": "markdown", "title": None}, {"rubric": "1", "corpus": "2"})
    assert base == cache_key("a" * 64, {"title": None, "format": "markdown"}, {"corpus": "2", "rubric": "1"})
    assert base != cache_key("b" * 64, {"format": "markdown", "title": None}, {"rubric": "1", "corpus": "2"})
    assert base != cache_key("a" * 64, {"format": "text", "title": None}, {"rubric": "1", "corpus": "2"})
    assert base != cache_key("a" * 64, {"format": "markdown", "title": None, "backend": "llm"},
                             {"rubric": "1", "corpus": "2"})
    assert base != cache_key("a" * 64, {"format": "markdown", "title": None}, {"rubric": "1", "corpus": "3"})


def test_a_bad_database_url_names_the_forms_it_takes():
    with pytest.raises(Exception, match="sqlite:///PATH"):
        open_review_store("mysql://u:p@h/db")
    assert redact("postgresql://user:secret@host/db") == "postgresql://user:***@host/db"
    assert str(DEFAULT_SQLITE_PATH).startswith(".design-review")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_stored_reviews_survive_a_killed_server(settings, ingested, tmp_path, backend):
    if backend == "postgresql" and not POSTGRES_URL:
        pytest.skip("DESIGN_REVIEW_TEST_POSTGRES_URL is not set")
    url = POSTGRES_URL if backend == "postgresql" else f"sqlite:///{tmp_path}/reviews.db"
    server = ProcessServer(process_env(settings, database_url=url), tmp_path / "server.log")
    body = {"document": read_fixture("fraud_metrics.md"), "title": f"restart {uuid.uuid4().hex}"}
    try:
        first = httpx.post(f"{server.start().url}/v1/reviews", json=body, timeout=60).json()
        server.kill()  # no clean shutdown
        server.start()
        stored = httpx.get(f"{server.url}/v1/reviews/{first['id']}", timeout=30)
        assert stored.status_code == 200 and stored.json()["overall"] == first["overall"]
        again = httpx.post(f"{server.url}/v1/reviews", json=body, timeout=60).json()
        assert again["reviewer"]["cached"] is True and again["id"] == first["id"]
    finally:
        server.stop()


def test_a_review_stored_in_an_older_shape_is_a_miss_not_an_error(store, sample):
    old_key, new_key = f"old-{uuid.uuid4().hex}", f"new-{uuid.uuid4().hex}"  # the PostgreSQL db persists
    old = sample.model_dump(mode="json")
    old["id"] = uuid.uuid4().hex
    del old["overall"]  # a shape this version cannot read
    store._execute("INSERT INTO reviews (id, created_at, document_sha256, cache_key, degraded, body) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   (old["id"], "2099-01-01T00:00:00+00:00", sample.document.sha256, old_key, 0,
                    json.dumps(old)), fetch=False)
    assert store.get(old["id"]) is None
    assert store.find_cached(old_key) is None
    kept = copy_of(sample)
    store.put(kept, new_key)
    assert kept in store.history(sample.document.sha256, 100, 0).reviews
    assert store.find_cached(new_key) == kept


def test_a_database_of_the_first_schema_opens_and_keeps_its_reviews(tmp_path, sample):
    """Reviews stored before reviews had owners stay readable, by anyone."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE reviews (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, document_sha256 TEXT "
                 "NOT NULL, cache_key TEXT NOT NULL, degraded INTEGER NOT NULL, body TEXT NOT NULL)")
    old = copy_of(sample)
    conn.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, 0, ?)",
                 (old.id, old.created_at, old.document.sha256, "k", old.model_dump_json()))
    conn.commit()
    conn.close()
    store = open_review_store(f"sqlite:///{path}")
    assert store.get(old.id) == old and store.get(old.id, owner="someone") is None
    store.put(copy_of(sample), "k2", owner="someone")
    assert store.history(old.document.sha256, 10, 0, owner="someone").total == 1
    assert open_review_store(f"sqlite:///{path}").history(old.document.sha256, 10, 0).total == 2
