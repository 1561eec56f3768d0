"""Shared state on Redis: the one module that imports `redis`.

Rate-limit buckets, the Slack retry/duplicate set, the in-flight review claims and the hot review
cache. Each call answers None when Redis is not configured or fails; the caller then uses its
in-process state. After a failure Redis is left alone for `retry_s` (no request waits on a dead
server), then tried again; both turns are logged once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, TypeVar

log = logging.getLogger("design_review")
T = TypeVar("T")

# A token bucket in one round trip: refill by elapsed time (Redis's clock), take one token or
# answer the seconds until the next one. Numbers travel as strings (Lua numbers become integers).
_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local v = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens, last = tonumber(v[1]) or burst, tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class SharedState:
    """Redis-backed shared state; every method answers None when the caller must use its own."""

    def __init__(self, url: str | None, prefix: str = "design_review", retry_s: float = 2.0) -> None:
        self.url = url
        self.prefix = prefix
        self.retry_s = retry_s
        self.round_trips = 0  # calls that reached Redis, and their time: the cost of sharing
        self.round_trip_s = 0.0
        self._down_until = 0.0
        self._error: str | None = None
        self._lock = threading.Lock()
        self.client = None
        if url:
            import redis
            self.client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2.0,
                                               health_check_interval=10)
            self._errors = (redis.RedisError, OSError)
            self._take = self.client.register_script(_TAKE)

    @property
    def configured(self) -> bool:
        return self.client is not None

    @property
    def up(self) -> bool:
        return self.configured and self._error is None

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def _call(self, action: Callable[[], T]) -> T | None:
        """The action's answer, or None (Redis not configured, failing, or resting after a failure)."""
        if self.client is None or time.monotonic() < self._down_until:
            return None
        started = time.perf_counter()
        try:
            answer = action()
        except self._errors as exc:
            self._failed(exc)
            return None
        with self._lock:
            self.round_trips += 1
            self.round_trip_s += time.perf_counter() - started
            if self._error is not None:
                log.warning("Redis is back: shared state is on Redis again",
                            extra={"fields": {"redis": self.url and _redact(self.url)}})
                self._error = None
        return answer

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.retry_s
            if self._error is None:
                log.error("Redis failed: rate limits, dedupe and the hot cache are in this process "
                          "until it is back", extra={"fields": {"error": str(exc)[:300]}})
            self._error = str(exc)[:300] or type(exc).__name__

    def health(self) -> dict:
        """{"redis": "ok"} or the reason it is down; {} when Redis is not configured."""
        if self.client is None:
            return {}
        self._down_until = 0.0  # a health check always tries
        self._call(self.client.ping)
        return {"redis": "ok" if self._error is None else f"down: {self._error}"}

    # ---- rate limits

    def take_token(self, bucket: str, caller: str, rate: float, burst: int) -> float | None:
        """Seconds until the caller's next token (0: go on), counted over every replica."""
        answer = self._call(lambda: self._take(keys=[self.key("rate", bucket, caller)], args=[rate, burst]))
        return None if answer is None else float(answer)

    # ---- sets of seen keys and claims

    def claim(self, kind: str, key: str, ttl_s: float) -> bool | None:
        """True for the first claim of key within ttl_s over every replica, False for a repeat."""
        return self._call(lambda: bool(self.client.set(self.key(kind, key), b"1", nx=True,
                                                       px=max(1, int(ttl_s * 1000)))))

    def renew(self, kind: str, key: str, ttl_s: float) -> None:
        """Extend a claim this process holds (nothing when it has lapsed)."""
        self._call(lambda: self.client.set(self.key(kind, key), b"1", xx=True, px=max(1, int(ttl_s * 1000))))

    def held(self, kind: str, key: str) -> bool | None:
        return self._call(lambda: bool(self.client.exists(self.key(kind, key))))

    def release(self, kind: str, key: str) -> None:
        self._call(lambda: self.client.delete(self.key(kind, key)))

    # ---- the hot review cache

    def get_bytes(self, kind: str, key: str) -> bytes | None:
        """The value, b"" when there is none, None when Redis cannot answer (values are never empty)."""
        return self._call(lambda: self.client.get(self.key(kind, key)) or b"")

    def put_bytes(self, kind: str, key: str, value: bytes, ttl_s: float) -> None:
        self._call(lambda: self.client.set(self.key(kind, key), value, px=max(1, int(ttl_s * 1000))))


def _redact(url: str) -> str:
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
