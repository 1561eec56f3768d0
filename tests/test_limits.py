"""Limits: token buckets, shedding reviews beyond the in-flight limit, the per-review timeout."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
import uuid

import httpx
import pytest

from app.config import get_settings
from app.api.ratelimit import TokenBucket
from app.review.slots import LineMemory, ReviewSlots
from helpers import ONNX_DIR, read_fixture
from servers import thread_server


def test_a_bucket_allows_its_burst_then_refills_at_its_rate():
    bucket = TokenBucket(per_minute=60, burst=3)
    assert [bucket.take("a", now=100.0) for _ in range(3)] == [0, 0, 0]
    assert bucket.take("a", now=100.0) == pytest.approx(1.0)
    assert bucket.take("b", now=100.0) == 0  # callers are independent
    assert bucket.take("a", now=101.0) == 0  # one token back after a second
    assert TokenBucket(per_minute=0, burst=1).take("a") == 0  # 0 turns it off


def test_a_bucket_forgets_the_oldest_callers_past_its_size():
    bucket = TokenBucket(per_minute=60, burst=1, max_callers=2)
    for caller in "abc":
        bucket.take(caller, now=0.0)
    assert bucket.take("a", now=0.0) == 0  # "a" was forgotten, so it starts full again


def test_waiting_reviews_start_by_arrival_plus_expected_length():
    """One review thread, held busy; then a long review, a short one, and a short one that comes
    after the long one's expected length: the short one jumps the queue, the late one does not."""
    slots = ReviewSlots(workers=1, queue=8, timeout_s=30)
    started: list[str] = []
    gate = threading.Event()

    def job(name: str):
        def work() -> str:
            started.append(name)
            if name == "busy":
                gate.wait(10)
            return name
        return work

    async def scenario() -> list[str]:
        busy = asyncio.ensure_future(slots.run(job("busy")))
        while not started:
            await asyncio.sleep(0.01)
        long = asyncio.ensure_future(slots.run(job("long"), cost=0.3))
        short = asyncio.ensure_future(slots.run(job("short"), cost=0.0))
        await asyncio.sleep(0.5)  # past the long review's expected length
        late = asyncio.ensure_future(slots.run(job("late"), cost=0.0))
        await asyncio.sleep(0.05)
        gate.set()
        return list(await asyncio.gather(busy, long, short, late))

    try:
        assert asyncio.run(scenario()) == ["busy", "long", "short", "late"]  # each got its own answer
        assert started == ["busy", "short", "long", "late"]
        assert slots.in_flight == 0
    finally:
        slots.close()


def test_an_error_in_a_review_reaches_its_request_and_the_thread_goes_on():
    slots = ReviewSlots(workers=1, queue=1, timeout_s=30)

    def fails() -> None:
        raise ValueError("a broken document")

    async def scenario():
        with pytest.raises(ValueError, match="broken"):
            await slots.run(fails)
        return await slots.run(lambda: "next")

    try:
        assert asyncio.run(scenario()) == "next"
    finally:
        slots.close()


def test_line_memory_counts_only_the_lines_it_has_not_seen():
    memory = LineMemory(size=1000)
    design = "# Title\n\nWe train daily.\nWe serve from a feature store.\n"
    assert memory.expected_seconds(LineMemory.lines(design)) == pytest.approx(3 * LineMemory.SECONDS_PER_NEW_LINE)
    memory.remember(LineMemory.lines(design))
    assert memory.expected_seconds(LineMemory.lines(design)) == 0
    edited = design + "We retrain when the click rate drifts.\n"
    assert memory.expected_seconds(LineMemory.lines(edited)) == pytest.approx(LineMemory.SECONDS_PER_NEW_LINE)
    small = LineMemory(size=2)
    small.remember(LineMemory.lines("a\nb\nc\n"))
    assert small.expected_seconds(LineMemory.lines("a\nb\nc\n")) == pytest.approx(LineMemory.SECONDS_PER_NEW_LINE)


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
                            onnx_cache_dir=ONNX_DIR, database_url=f"sqlite:///{tmp_path}/r.db",
                            rate_limit_per_minute=0, **overrides)
    return make


def test_reviews_beyond_the_in_flight_limit_are_shed_with_503_and_the_service_recovers(ops_settings, ingested):
    with thread_server(ops_settings(max_concurrent_reviews=1, max_queued_reviews=1)) as url:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda n: httpx.post(f"{url}/v1/reviews", json={"document": unseen(n)},
                                                         timeout=120), range(8)))
        statuses = sorted(a.status_code for a in answers)
        assert set(statuses) == {200, 503} and statuses.count(200) >= 2, statuses
        shed = next(a for a in answers if a.status_code == 503)
        assert int(shed.headers["retry-after"]) >= 1 and "busy" in shed.json()["detail"]
        assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200
        assert httpx.post(f"{url}/v1/reviews", json={"document": unseen(99)}, timeout=120).status_code == 200


def test_a_review_over_its_time_is_503_and_its_retry_comes_from_the_store(ops_settings, ingested):
    with thread_server(ops_settings(review_timeout_s=0.01)) as url:
        body = {"document": unseen(0)}
        late = httpx.post(f"{url}/v1/reviews", json=body, timeout=60)
        assert late.status_code == 503 and "DESIGN_REVIEW_REVIEW_TIMEOUT_S" in late.json()["detail"]
        assert int(late.headers["retry-after"]) >= 1
        deadline = time.monotonic() + 60
        while True:  # the review goes on in the background and is stored
            again = httpx.post(f"{url}/v1/reviews", json=body, timeout=60)
            if again.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert again.status_code == 200 and again.json()["reviewer"]["cached"] is True


def test_requests_beyond_the_in_flight_limit_get_503_while_health_still_answers(ops_settings, ingested):
    with thread_server(ops_settings(max_in_flight_requests=1)) as url:
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
