"""Shared fixtures: one ingested temp store, one reviewer and one live HTTP server per session.

Everything is real: Chroma persistent client in a temp folder, the packaged embedding model on
the default backend (the int8 ONNX export shipped in app/embedding/model/), uvicorn on a
loopback port. The corpus is snapshotted once, so edits made to corpus/ while the suite runs
cannot put the store and the rubric out of step.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from app.config import Settings, get_settings
from app.review.reviewer import Reviewer
from app.review.build import build_reviewer, ingest

from helpers import REPO, SERVER_MAX_BYTES, SERVER_MAX_LINES
from servers import app_server


@pytest.fixture(scope="session", autouse=True)
def clean_environment(tmp_path_factory):
    """Keep a developer's DESIGN_REVIEW_* and OPENAI_* variables (a Chroma host, a key) out of the tests.

    Apps built without a database URL store their reviews in a temp file, not under the repo.
    """
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("DESIGN_REVIEW_", "OPENAI_"))}
    os.environ["DESIGN_REVIEW_DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('db')}/reviews.db"
    yield
    os.environ.pop("DESIGN_REVIEW_DATABASE_URL", None)
    os.environ.update(saved)


@pytest.fixture(scope="session")
def corpus_snapshot(tmp_path_factory) -> Path:
    """A copy of corpus/ taken once for the whole session."""
    target = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(REPO / "corpus", target)
    return target


@pytest.fixture(scope="session")
def settings(tmp_path_factory, corpus_snapshot, clean_environment) -> Settings:
    store = tmp_path_factory.mktemp("store") / "chroma"
    return get_settings(store_path=store, corpus_dir=corpus_snapshot)


@pytest.fixture(scope="session")
def ingested(settings):
    """The session store, ingested once; the report of that first run."""
    return ingest(settings, progress=False)


@pytest.fixture(scope="session")
def reviewer(settings, ingested) -> Reviewer:
    return build_reviewer(settings)


@pytest.fixture(scope="session")
def cli_env(settings, ingested) -> dict[str, str]:
    """Environment for CLI subprocesses: the session store and corpus."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESIGN_REVIEW_")}
    env.update(DESIGN_REVIEW_STORE_PATH=str(settings.store_path),
               DESIGN_REVIEW_CORPUS_DIR=str(settings.corpus_dir),
               PYTHONPATH=str(REPO))
    return env


@pytest.fixture(scope="session")
def server_url(settings, ingested, tmp_path_factory):
    """The real app served by uvicorn on a loopback port, ready once /healthz answers 200.

    Its reviews go to a temp SQLite file; no rate limit (the whole suite is one client).
    """
    database = tmp_path_factory.mktemp("reviews") / "reviews.db"
    app_settings = get_settings(store_path=settings.store_path, corpus_dir=settings.corpus_dir,
                                max_document_bytes=SERVER_MAX_BYTES,
                                max_document_lines=SERVER_MAX_LINES,
                                database_url=f"sqlite:///{database}", rate_limit_per_minute=0)
    with app_server(app_settings) as url:
        yield url


def _refuse_5xx(response: httpx.Response) -> None:
    assert response.status_code < 500, (
        f"{response.request.method} {response.request.url.path} answered "
        f"{response.status_code}: {response.read()[:500]!r}")


@pytest.fixture(scope="session")
def client(server_url):
    """An HTTP client for the live server that fails any test which gets a 5xx."""
    with httpx.Client(base_url=server_url, timeout=60,
                      event_hooks={"response": [_refuse_5xx]}) as http:
        yield http


@pytest.fixture(scope="session")
def topology(settings, ingested, tmp_path_factory):
    """Redis, PostgreSQL, a Chroma server, two API replicas and two workers on loopback
    (tests/topology.py): one per session, for tests/replicas and tests/jobs."""
    from topology import postgres_bin, redis_binary, running_topology

    if redis_binary() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server, or .ci/redis.sh)")
    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (.ci/postgres.sh installs and starts one)")
    with running_topology(settings, tmp_path_factory.getbasetemp() / "topology") as running:
        yield running
