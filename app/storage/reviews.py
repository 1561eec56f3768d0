"""Stored reviews: the one module that talks to the review database (SQLite or PostgreSQL).

Every review the API returns is written here before the response goes out. SQLite (WAL mode,
a connection per thread) is the default; a `postgresql://` URL uses psycopg 3. Both speak the
same SQL through DB-API, so one class serves both. Each write is one transaction: a crash leaves
the previous state, never half a row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.errors import DependencyError
from app.review.model import Review

log = logging.getLogger("design_review.storage")

DEFAULT_SQLITE_PATH = Path(".design-review/reviews.db")
MEMORY_URL = "memory://"
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS reviews (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        document_sha256 TEXT NOT NULL,
        cache_key TEXT NOT NULL,
        degraded INTEGER NOT NULL,
        body TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS reviews_by_document ON reviews (document_sha256, created_at)",
    "CREATE INDEX IF NOT EXISTS reviews_by_cache_key ON reviews (cache_key, created_at)",
    # the text a review's line numbers refer to (converted to markdown for Word, PDF and HTML files):
    # what a shared review page shows beside its findings
    """CREATE TABLE IF NOT EXISTS review_texts (
        id TEXT PRIMARY KEY,
        text TEXT NOT NULL)""",
)
# Added after the first schema: applied to older databases when they open (an existing column is fine).
MIGRATIONS = (
    "ALTER TABLE reviews ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
    "CREATE INDEX IF NOT EXISTS reviews_by_owner ON reviews (owner, document_sha256, created_at)",
)
_COLUMNS = "id, created_at, document_sha256, cache_key, degraded, body"


def cache_key(document_sha256: str, options: dict[str, Any], versions: dict[str, str]) -> str:
    """One hash of everything a review depends on: the document, the request's options, versions."""
    blob = json.dumps({"document": document_sha256, "options": options, "versions": versions},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class HistoryPage:
    """One page of a document's stored reviews, newest first."""

    reviews: list[Review]
    total: int


class ReviewStore:
    """Reviews kept by id, by document hash and by cache key, in SQLite or PostgreSQL."""

    def __init__(self, url: str, connect, placeholder: str, transaction) -> None:
        self.url = url
        self._connect = connect
        self._transaction = transaction
        self._placeholder = placeholder
        self._local = threading.local()
        self._run_schema()

    @property
    def kind(self) -> str:
        return "postgresql" if self._placeholder == "%s" else "sqlite"

    def _sql(self, text: str) -> str:
        return text.replace("?", self._placeholder)

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _execute(self, sql: str, params: tuple = (), fetch: bool = True) -> list[tuple]:
        """Run one statement in its own transaction; reconnect once if the connection dropped."""
        for attempt in (1, 2):
            try:
                conn = self._conn()  # a server that is down fails here: a DependencyError too
                with self._transaction(conn):  # commit on success, roll back on any error
                    cur = conn.execute(self._sql(sql), params)
                    return cur.fetchall() if fetch else []
            except Exception as exc:
                if attempt == 2 or not _is_disconnect(exc):
                    raise DependencyError(f"the review database ({self.kind}) failed: {exc}") from exc
                self._local.conn = None
        return []

    def _run_schema(self) -> None:
        for statement in SCHEMA:
            try:
                self._execute(statement, fetch=False)
            except DependencyError as exc:
                # Replicas starting together: PostgreSQL may refuse a CREATE ... IF NOT EXISTS that
                # another process is running at the same moment; once that one is done, it is a no-op.
                if "already exists" not in str(exc) and "duplicate key" not in str(exc):
                    raise
                time.sleep(0.2)
                self._execute(statement, fetch=False)
        for statement in MIGRATIONS:
            try:
                self._execute(statement, fetch=False)
            except DependencyError as exc:
                if "duplicate column" not in str(exc) and "already exists" not in str(exc):
                    raise

    def put(self, review: Review, key: str, owner: str = "") -> None:
        """Store one review under its id (a second put of the same id is a no-op)."""
        self.put_json(review, key, review.model_dump_json(), owner)

    def put_json(self, review: Review, key: str, body: str, owner: str = "", text: str | None = None) -> None:
        """`put` with the review's JSON already made; `owner`: who may read it back ("" anyone);
        `text`: the document its line numbers refer to, kept beside it."""
        self._execute(
            f"INSERT INTO reviews ({_COLUMNS}, owner) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (review.id, review.created_at, review.document.sha256, key, int(review.reviewer.degraded),
             body, owner), fetch=False)
        if text is not None:
            self._execute("INSERT INTO review_texts (id, text) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                          (review.id, text), fetch=False)

    def get_text(self, review_id: str, owner: str | None = None) -> str | None:
        """The document a stored review read (None: no such review for this owner, or stored without it)."""
        mine, args = ("", ()) if owner is None else (" AND r.owner = ?", (owner,))
        rows = self._execute("SELECT t.text FROM review_texts t JOIN reviews r ON r.id = t.id "
                             f"WHERE t.id = ?{mine}", (review_id, *args))
        return rows[0][0] if rows else None

    def get(self, review_id: str, owner: str | None = None) -> Review | None:
        """A review by id; with `owner`, only one that owner stored."""
        if owner is None:
            rows = self._execute("SELECT body FROM reviews WHERE id = ?", (review_id,))
        else:
            rows = self._execute("SELECT body FROM reviews WHERE id = ? AND owner = ?", (review_id, owner))
        return _readable(rows[0][0]) if rows else None

    def find_cached(self, key: str, owner: str | None = None) -> Review | None:
        """The newest review that was not degraded for this cache key (of this owner), if any."""
        mine, args = ("", ()) if owner is None else (" AND owner = ?", (owner,))
        rows = self._execute(f"SELECT body FROM reviews WHERE cache_key = ? AND degraded = 0{mine} "
                             "ORDER BY created_at DESC, id DESC LIMIT 1", (key, *args))
        return _readable(rows[0][0]) if rows else None

    def history(self, document_sha256: str, limit: int, offset: int, owner: str | None = None) -> HistoryPage:
        """A document's reviews, newest first; with `owner`, only those that owner stored."""
        mine, args = ("", ()) if owner is None else (" AND owner = ?", (owner,))
        total = self._execute(f"SELECT COUNT(*) FROM reviews WHERE document_sha256 = ?{mine}",
                              (document_sha256, *args))[0][0]
        rows = self._execute(f"SELECT body FROM reviews WHERE document_sha256 = ?{mine} "
                             "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                             (document_sha256, *args, limit, offset))
        reviews = [r for r in (_readable(row[0]) for row in rows) if r is not None]
        return HistoryPage(reviews, int(total))

    def ping(self) -> None:
        self._execute("SELECT 1")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _is_disconnect(exc: Exception) -> bool:
    name = type(exc).__name__
    return name in {"OperationalError", "InterfaceError"} and "locked" not in str(exc)


def _sqlite_connect(path: Path):
    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")  # an acknowledged review survives a power cut
        conn.execute("PRAGMA busy_timeout=10000")
        return conn
    return connect


def _memory_connect():
    """A private in-memory SQLite database shared by this store's threads (the CLI's store)."""
    name = f"file:design-review-{uuid.uuid4().hex}?mode=memory&cache=shared"
    keeper = sqlite3.connect(name, uri=True, check_same_thread=False)  # the database lives while it does

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(name, uri=True, timeout=10, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=10000")
        connect.keeper = keeper  # type: ignore[attr-defined]
        return conn
    return connect


def _postgres_connect(url: str):
    try:
        import psycopg
    except ImportError as exc:
        raise DependencyError("a postgresql:// DESIGN_REVIEW_DATABASE_URL needs psycopg: "
                              "run `pip install 'psycopg[binary]'`") from exc

    def connect():
        return psycopg.connect(url, connect_timeout=10, autocommit=True)
    return connect


def open_review_store(url: str | None) -> ReviewStore:
    """The store for `sqlite:///path` (the default under .design-review/), `postgresql://...`, or
    `memory://` (kept in this process only)."""
    url = url or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    try:
        if url == MEMORY_URL:
            return ReviewStore(url, _memory_connect(), "?", lambda conn: conn)
        if url.startswith(("postgresql://", "postgres://")):
            return ReviewStore(url, _postgres_connect(url), "%s", lambda conn: conn.transaction())
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            return ReviewStore(url, _sqlite_connect(path), "?", lambda conn: conn)
    except DependencyError:
        raise
    except Exception as exc:
        raise DependencyError(f"cannot open the review database {redact(url)}: {exc}") from exc
    raise DependencyError(f"DESIGN_REVIEW_DATABASE_URL {redact(url)!r} is neither sqlite:///PATH "
                          "nor postgresql://USER:PASSWORD@HOST/DB")


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def _readable(body: str | bytes) -> Review | None:
    """A stored review, or None (logged) when its JSON no longer fits this version's Review: an
    old review is then a cache miss or absent, never an error for the caller."""
    try:
        return Review.model_validate_json(body)
    except ValueError as exc:
        log.warning("a stored review does not fit this version's schema: %s", str(exc).splitlines()[0])
        return None
