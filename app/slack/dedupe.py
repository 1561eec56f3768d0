"""A bounded set of recently seen keys, so a Slack event or message is handled once.

With shared state on Redis the set is shared by every replica (a retry that reaches another
replica is still a repeat); when Redis is not configured or fails, it is this process's.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.shared.state import SharedState


class TtlSet:
    """Keys seen in the last ttl seconds, at most maxsize of them (the oldest leave first)."""

    def __init__(self, ttl: float = 900.0, maxsize: int = 10_000,
                 clock: Callable[[], float] = time.monotonic, shared: "SharedState | None" = None,
                 name: str = "seen") -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self._clock = clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()
        self._lock = threading.Lock()
        self.shared = shared
        self.name = name

    def claim(self, key: Hashable) -> bool:
        """True the first time key is seen within ttl; False for a repeat."""
        if self.shared is not None:
            claimed = self.shared.claim(f"slack:{self.name}", _text(key), self.ttl)
            if claimed is not None:
                return claimed
        now = self._clock()
        with self._lock:
            self._expire(now)
            if key in self._seen:
                return False
            self._seen[key] = now
            while len(self._seen) > self.maxsize:
                self._seen.popitem(last=False)
            return True

    def _expire(self, now: float) -> None:
        while self._seen:
            key, seen_at = next(iter(self._seen.items()))
            if now - seen_at < self.ttl:
                return
            del self._seen[key]

    def __len__(self) -> int:
        return len(self._seen)


def _text(key: Hashable) -> str:
    return "|".join(map(str, key)) if isinstance(key, tuple) else str(key)
