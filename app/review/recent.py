"""The hot review cache and the in-flight claims, in this process or shared by replicas on Redis.

RecentReviews: recent reviews as JSON bytes by key, in front of the stored reviews. Flights: which
reviews are being scored right now, so identical documents submitted at once are scored once (the
others wait for the first one's review). Both use Redis when shared state is configured and up,
else this process's memory.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from dataclasses import dataclass

from app.review.model import ReviewerInfo
from app.shared.state import SharedState

HOT_TTL_S = 3600.0  # a review in the shared hot cache; the stored reviews stay the truth


@dataclass(frozen=True)
class Recent:
    """A review's JSON (with its reviewer info for the metrics), kept by its key."""

    body: bytes
    reviewer: ReviewerInfo

    def encode(self) -> bytes:
        return self.reviewer.model_dump_json().encode("utf-8") + b"\n" + self.body

    @classmethod
    def decode(cls, raw: bytes) -> "Recent":
        info, body = raw.split(b"\n", 1)  # compact JSON has no raw newline
        return cls(body, ReviewerInfo.model_validate_json(info))


class RecentReviews:
    """The most recently used reviews (DESIGN_REVIEW_REVIEW_CACHE_SIZE of them in process)."""

    def __init__(self, size: int, shared: SharedState | None = None) -> None:
        self.size = size
        self.shared = shared
        self._items: OrderedDict[str, Recent] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Recent | None:
        if self.shared is not None and self.size:
            raw = self.shared.get_bytes("recent", key)
            if raw is not None:
                return Recent.decode(raw) if raw else None
        with self._lock:
            recent = self._items.get(key)
            if recent is not None:
                self._items.move_to_end(key)
            return recent

    def put(self, key: str, recent: Recent) -> None:
        if self.shared is not None and self.size and self.shared.up:
            self.shared.put_bytes("recent", key, recent.encode(), HOT_TTL_S)
        with self._lock:
            self._items[key] = recent
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class Flights:
    """Claims on the reviews being scored: the first claim of a key scores it, later ones wait.

    On Redis a claim lives `ttl_s` and its holder renews it while it scores (`hold`): a holder that
    dies blocks identical reviews for at most `ttl_s`.
    """

    def __init__(self, shared: SharedState | None = None, ttl_s: float = 10.0) -> None:
        self.shared = shared
        self.ttl_s = ttl_s
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        if self.shared is not None:
            claimed = self.shared.claim("flight", key, self.ttl_s)
            if claimed is not None:
                return claimed
        with self._lock:
            if key in self._held:
                return False
            self._held.add(key)
            return True

    async def hold(self, key: str) -> None:
        """Renew the claim every third of its life until cancelled."""
        while self.shared is not None and self.shared.configured:
            await asyncio.sleep(self.ttl_s / 3)
            await asyncio.to_thread(self.shared.renew, "flight", key, self.ttl_s)

    def held(self, key: str) -> bool:
        if self.shared is not None:
            held = self.shared.held("flight", key)
            if held is not None:
                return held
        with self._lock:
            return key in self._held

    def release(self, key: str) -> None:
        if self.shared is not None:
            self.shared.release("flight", key)
        with self._lock:
            self._held.discard(key)
