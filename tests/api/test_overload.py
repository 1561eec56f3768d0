"""The API under load: reviews beyond the in-flight limit are shed, a review over its time is a 503
whose retry comes from the store, and requests beyond the in-flight limit get a 503 while /healthz
still answers. Each runs the real app in a thread with its own limits (servers.app_server).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import time
import uuid

import httpx
import pytest

from app.config import get_settings
from helpers import read_fixture
from servers import app_server


def unseen(n: int) -> str:
    """A design no earlier request sent (its own words on every line)."""
    tag = uuid.uuid4().hex
    return "\n".join(f"{line} {tag}{n}" if line.strip() and not line.startswith("#") else line
                     for line in read_fixture("fraud_metrics.md").splitlines())


def wait_for_review_in_flight(url: str, timeout: float = 30.0) -> None:
    """Until /metrics shows a review being scored."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = httpx.get(f"{url}/metrics", timeout=10).text
        if any(line.startswith("design_review_reviews_in_flight ") and float(line.split()[-1]) >= 1
               for line in text.splitlines()):
            return
        time.sleep(0.02)
    raise AssertionError("no review went in flight")


@pytest.fixture
def ops_settings(settings, tmp_path):
    def make(**overrides):
        return get_settings(store_path=settings.store_path, corpus_dir=settings.corpus_dir,
                            database_url=f"sqlite:///{tmp_path}/r.db",
                            rate_limit_per_minute=0, **overrides)
    return make


def test_reviews_beyond_the_in_flight_limit_are_shed_with_503_and_the_service_recovers(ops_settings, ingested):
    with app_server(ops_settings(max_concurrent_reviews=1, max_queued_reviews=1)) as url:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda n: httpx.post(f"{url}/v1/reviews", json={"document": unseen(n)},
                                                         timeout=120), range(8)))
        statuses = sorted(a.status_code for a in answers)
        assert set(statuses) == {200, 503} and statuses.count(200) >= 2, statuses
        shed = next(a for a in answers if a.status_code == 503)
        assert int(shed.headers["retry-after"]) >= 1 and "busy" in shed.json()["detail"]
        assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200
        assert httpx.post(f"{url}/v1/reviews", json={"document": unseen(99)}, timeout=120).status_code == 200


def in_flight(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return next(float(line.split()[-1]) for line in text.splitlines()
                if line.startswith("design_review_reviews_in_flight "))


def test_a_review_over_its_time_is_503_then_stopped_which_frees_its_slot(ops_settings, ingested):
    """A review once kept its slot past its time (one key could hold every slot for minutes);
    now it is stopped at its next look at the clock, and nothing is stored."""
    with app_server(ops_settings(review_timeout_s=0.2, max_concurrent_reviews=1, max_queued_reviews=0)) as url:
        text = "\n\n".join(unseen(k) for k in range(30))  # every line new: seconds of work
        late = httpx.post(f"{url}/v1/reviews", json={"document": text}, timeout=60)
        assert late.status_code == 503 and "DESIGN_REVIEW_REVIEW_TIMEOUT_S" in late.json()["detail"]
        assert "stopped" in late.json()["detail"] and int(late.headers["retry-after"]) >= 1
        deadline = time.monotonic() + 5
        while in_flight(url) > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert in_flight(url) == 0  # the slot is free well before the work would have ended
        sha = hashlib.sha256(text.encode()).hexdigest()
        assert httpx.get(f"{url}/v1/reviews", params={"document_sha256": sha}, timeout=10).json()["total"] == 0
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200


def test_requests_beyond_the_in_flight_limit_get_503_while_health_still_answers(ops_settings, ingested):
    with app_server(ops_settings(max_in_flight_requests=1)) as url:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            long_design = "\n\n".join(unseen(k) for k in range(12))  # every line new: seconds to score
            slow = pool.submit(httpx.post, f"{url}/v1/reviews", json={"document": long_design}, timeout=120)
            wait_for_review_in_flight(url)  # the one request allowed is taken
            busy = httpx.get(f"{url}/v1/rubric", timeout=30)
            health = httpx.get(f"{url}/healthz", timeout=30)
            assert slow.result().status_code == 200
        assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
        assert "DESIGN_REVIEW_MAX_IN_FLIGHT_REQUESTS" in busy.json()["detail"]
        assert health.status_code == 200
        assert httpx.get(f"{url}/v1/rubric", timeout=30).status_code == 200


def test_a_document_of_too_many_distinct_lines_is_refused_before_it_takes_a_slot(ops_settings, ingested):
    """19,000 unique heading lines (150 KB, under every size limit) once cost 44 CPU-seconds."""
    flood = "\n".join(f"# H{k:05d}" for k in range(19_000))
    with app_server(ops_settings(max_concurrent_reviews=1, max_queued_reviews=0)) as url:
        started = time.monotonic()
        refused = httpx.post(f"{url}/v1/reviews", json={"document": flood}, timeout=60)
        assert refused.status_code == 413 and "DESIGN_REVIEW_MAX_UNIQUE_LINES" in refused.json()["detail"]
        assert time.monotonic() - started < 5
        assert httpx.post(f"{url}/v1/reviews", json={"document": unseen(1)}, timeout=120).status_code == 200
