"""Two API replicas with a rate limit, over a Redis and a PostgreSQL of their own that the tests
stop: the limit holds across both replicas; without Redis they answer on their own limits
(/healthz degraded) and recover; without PostgreSQL new reviews answer unstored, stored reads 503."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from helpers import read_fixture
from topology import PostgresServer, RedisServer, start_replicas, topology_env

KEYS = {"limit": "key-limit-0001", "redis": "key-redis-0002", "postgres": "key-pg-0003"}
PER_MINUTE = 6


@pytest.fixture(scope="module")
def pair(topology, settings, tmp_path_factory):
    redis, postgres = RedisServer().start(), PostgresServer().start()
    env = topology_env(settings, redis, postgres.url, topology.chroma, API_KEYS=",".join(KEYS.values()),
                       RATE_LIMIT_PER_MINUTE=PER_MINUTE, RATE_LIMIT_BURST=PER_MINUTE, REDIS_RETRY_S=0.5)
    apis = start_replicas(env, tmp_path_factory.mktemp("outages"), tag="limited")
    yield apis, redis, postgres
    for api in apis:
        api.stop()
    redis.stop(), postgres.stop()


def auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[name]}"}


def test_a_rate_limit_holds_across_both_replicas_together(pair):
    apis = pair[0]
    statuses = [httpx.get(f"{apis[n % 2].url}/v1/rubric", headers=auth("limit"), timeout=30).status_code
                for n in range(2 * PER_MINUTE)]
    assert statuses.count(429) >= PER_MINUTE - 1 and statuses[:PER_MINUTE] == [200] * PER_MINUTE, statuses


def test_without_redis_the_replicas_answer_on_their_own_limits_and_recover(pair):
    apis, redis, _ = pair
    redis.stop()
    try:
        for api in apis:
            health = httpx.get(f"{api.url}/healthz", timeout=30)
            assert health.status_code == 200 and health.json()["status"] == "degraded"
            assert health.json()["redis"].startswith("down")
            review = httpx.post(f"{api.url}/v1/reviews", headers=auth("redis"), timeout=120,
                                json={"document": read_fixture("fraud_metrics.md") + f"\n{uuid.uuid4()}\n"})
            assert review.status_code == 200
            assert "Redis failed" in api.logs()
    finally:
        redis.start()
    time.sleep(0.6)  # past DESIGN_REVIEW_REDIS_RETRY_S
    for api in apis:
        health = httpx.get(f"{api.url}/healthz", timeout=30).json()
        assert health["status"] == "ok" and health["redis"] == "ok"
        assert "Redis is back" in api.logs()


def test_without_postgresql_new_reviews_answer_unstored_and_stored_reads_503(pair):
    apis, _, postgres = pair
    stored = httpx.post(f"{apis[0].url}/v1/reviews", headers=auth("postgres"), timeout=120,
                        json={"document": read_fixture("week_split.md") + f"\n{uuid.uuid4()}\n"}).json()
    postgres.stop()
    try:
        review = httpx.post(f"{apis[1].url}/v1/reviews", headers=auth("postgres"), timeout=120,
                            json={"document": read_fixture("scaler_leak.md") + f"\n{uuid.uuid4()}\n"})
        assert review.status_code == 200 and review.headers["x-review-stored"] == "false"
        read = httpx.get(f"{apis[0].url}/v1/reviews/{stored['id']}", headers=auth("postgres"), timeout=30)
        assert read.status_code == 503 and "review database" in read.json()["detail"]
    finally:
        postgres.start()
    again = httpx.get(f"{apis[0].url}/v1/reviews/{stored['id']}", headers=auth("postgres"), timeout=30)
    assert again.status_code == 200
