"""The review slots: reviews in flight and time per review, and what a document is expected to cost.

A review is CPU bound, so the service runs at most `max_concurrent_reviews` at once on its own
threads and admits a few more to wait; beyond that it sheds the request at once with 503 and a
Retry-After, so a burst of clients gets a quick answer instead of a queue that blows every
latency. The reply to a review that overruns its time is a 503; the service then stops that review.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import threading
import time
from typing import Callable, TypeVar

from app.errors import Refused

T = TypeVar("T")


class ReviewSlots:
    """Runs reviews on `workers` threads, admits `workers + queue` at once, sheds the rest.

    Waiting reviews start in the order of their arrival plus their expected length (`cost`, in
    seconds): a one-line edit, whose windows are already embedded, goes before a new 2,000-word
    design that came in a moment earlier, and waits at most its own expected length behind the
    cheap ones that came after it, so nothing starves.
    """

    def __init__(self, workers: int, queue: int, timeout_s: float) -> None:
        self.workers = max(1, workers)
        self.capacity = self.workers + max(0, queue)
        self.timeout_s = timeout_s
        self._waiting: list[tuple[float, int, Callable[[], None]]] = []
        self._ready = threading.Condition()
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._in_flight = 0
        self._lock = threading.Lock()
        self._seconds = 0.5  # running mean of a review's duration, for Retry-After

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def retry_after(self) -> int:
        """Seconds until the work admitted now is likely done."""
        return max(1, math.ceil(self._in_flight * self._seconds / self.workers))

    def _admit(self) -> None:
        with self._lock:
            if self._in_flight >= self.capacity:
                raise Refused(503, f"the service is busy: {self._in_flight} reviews are in flight "
                                   f"(the limit is {self.capacity}); retry after the Retry-After seconds",
                              self.retry_after())
            self._in_flight += 1

    def _done(self, seconds: float) -> None:
        with self._lock:
            self._in_flight -= 1
            self._seconds = 0.8 * self._seconds + 0.2 * seconds

    async def run(self, work: Callable[[], T], cost: float = 0.0) -> T:
        """Run `work` on a review thread, or raise Refused when full or when it overruns.

        `cost`: the expected seconds of work, which orders the waiting reviews (see the class).
        """
        self._admit()
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()

        def job() -> None:
            try:
                result = work()
            except Exception as exc:  # handed to the waiting request
                outcome = (future.set_exception, exc)
            else:
                outcome = (future.set_result, result)
            finally:
                self._done(time.perf_counter() - started)
            try:
                loop.call_soon_threadsafe(_settle, future, *outcome)
            except RuntimeError:  # the loop has closed: the server is stopping
                pass

        try:
            self._submit(job, time.monotonic() + max(0.0, cost))
        except Refused:
            self._done(0.0)
            raise
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout_s)
        except asyncio.TimeoutError:
            future.add_done_callback(_consume)
            raise Refused(503, f"the review took longer than {self.timeout_s:g} s "
                               "(DESIGN_REVIEW_REVIEW_TIMEOUT_S) and is stopped, which frees its slot: retry "
                               "after the Retry-After seconds, or send a shorter design",
                          self.retry_after(), reason="timeout") from None

    def _submit(self, job: Callable[[], None], due: float) -> None:
        with self._ready:
            if self._closed:
                raise Refused(503, "the service is shutting down; retry in a few seconds", 5)
            heapq.heappush(self._waiting, (due, next(self._order), job))
            if len(self._threads) < self.workers:
                thread = threading.Thread(target=self._worker, name=f"review_{len(self._threads)}",
                                          daemon=True)
                self._threads.append(thread)
                thread.start()
            self._ready.notify()

    def _worker(self) -> None:
        while True:
            with self._ready:
                while not self._waiting and not self._closed:
                    self._ready.wait()
                if self._closed:
                    return
                _, _, job = heapq.heappop(self._waiting)
            job()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._waiting.clear()
            self._ready.notify_all()


class LineMemory:
    """Hashes of the lines of recent reviews, to tell how much of a new document is new.

    A review's cost is mostly embedding its new lines (windows already embedded come from the
    cache), so the new lines of a document estimate its seconds of work before it runs.
    """

    SECONDS_PER_NEW_LINE = 0.003  # ~125 new lines of a 2,000-word design: ~0.4 s on two cores

    def __init__(self, size: int = 200_000) -> None:
        self.size = size
        self._seen: dict[int, None] = {}
        self._lock = threading.Lock()

    @staticmethod
    def lines(text: str) -> set[int]:
        """A document's non-blank lines, as the memory knows them."""
        return {hash(line.strip()) for line in text.splitlines() if line.strip()}

    def expected_seconds(self, lines: set[int]) -> float:
        with self._lock:
            new = sum(1 for h in lines if h not in self._seen)
        return new * self.SECONDS_PER_NEW_LINE

    def remember(self, lines: set[int]) -> None:
        with self._lock:
            for h in lines:
                self._seen.pop(h, None)
                self._seen[h] = None  # most recent last
            while len(self._seen) > self.size:
                del self._seen[next(iter(self._seen))]


def _settle(future: asyncio.Future, setter, value) -> None:
    if not future.done():  # the loop may have been told to stop waiting
        setter(value)


def _consume(future: asyncio.Future) -> None:
    """Read a late result or error so that nothing is reported as never retrieved."""
    if not future.cancelled():
        future.exception()
