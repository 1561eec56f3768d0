"""Per-caller rate limits: a token bucket per API key or client address.

With shared state on Redis the bucket is counted over every replica; when Redis is not configured
or fails, in this process.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.shared.state import SharedState


class TokenBucket:
    """Per-caller token buckets: `rate` requests a second on average, bursts of `burst`."""

    def __init__(self, per_minute: float, burst: int, max_callers: int = 10_000,
                 shared: "SharedState | None" = None, name: str = "requests") -> None:
        self.rate = per_minute / 60.0
        self.burst = max(1, burst)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max = max_callers
        self._lock = threading.Lock()
        self.shared = shared
        self.name = name

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, caller: str, now: float | None = None) -> float:
        """0 when the caller may go on, else the seconds until its next token."""
        if not self.enabled:
            return 0.0
        if self.shared is not None and now is None:
            wait = self.shared.take_token(self.name, caller, self.rate, self.burst)
            if wait is not None:
                return wait
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(caller, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[caller] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > self._max:  # forget the callers seen longest ago
                self._buckets.popitem(last=False)
        return wait
