"""The per-caller token buckets behind the API's rate limit (app/api/ratelimit.py)."""

from __future__ import annotations

import pytest

from app.api.ratelimit import TokenBucket


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
