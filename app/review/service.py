"""The review service: the one way every door gets a review.

REST, Slack, the CLI and `check` (in process) call `ReviewService.review`; they differ only in how
they read input and render output. The service owns decoding and limits, the stored-review key,
one in-memory cache of recent reviews in front of the stored reviews, the review slots (how many
reviews run and wait at once) and the review metrics.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import threading
import time
import uuid
from datetime import datetime, timezone
from dataclasses import dataclass, field, replace
from typing import Protocol

from app import __version__
from app.config import Settings
from app.document.convert import CONVERTER_VERSION, Converted, Limits, convert_file
from app.document.formats import FILE_FORMATS, file_format
from app.document.locations import place_locations
from app.document.parse import check_limits, decode_document
from app.errors import DependencyError, DocumentTooLarge, Refused
from app.review.metrics import Metrics
from app.review.model import Review, ReviewerInfo
from app.review.build import build_reviewer
from app.review.reviewer import Reviewer
from app.review.recent import Flights, Recent, RecentReviews
from app.review.runtime import Runtime
from app.review.slots import LineMemory, ReviewSlots
from app.shared.state import SharedState
from app.storage.reviews import MEMORY_URL, ReviewStore, cache_key, open_review_store, redact

log = logging.getLogger("design_review")


class ReviewerSource(Protocol):
    """Where the service gets the reviewer: `reviewer()` waits for it while it loads."""

    settings: Settings

    @property
    def ready(self) -> bool: ...

    def reviewer(self, wait: float = 30.0) -> Reviewer: ...


@dataclass(frozen=True)
class ReviewRequest:
    """A design to review and the options that change its review."""

    document: str | bytes
    title: str | None = None
    # what the door was told (None: nothing); a file's own bytes decide (formats.file_format)
    format: str | None = "markdown"
    topics: frozenset[str] = frozenset()
    backend: str | None = None
    fresh: bool = False  # neither a stored review nor cached LLM answers: review it again
    caller: str | None = None  # who asks (an API key's id, "slack"): at most half of the slots
    offload: bool = False  # an LLM review may run on a job worker (when jobs are configured)
    owner: str = ""  # who may read the stored review back ("" anyone): an API key's id
    file_sha256: str = ""  # set by the service for a converted file: its locations come from these bytes

    def options(self) -> dict:
        """The request's part of the stored-review key."""
        options: dict = {"format": self.format, "title": self.title}
        if self.file_sha256:  # the review's locations come from the file and its converter
            options.update(file_sha256=self.file_sha256, converter=CONVERTER_VERSION)
        if self.topics:
            options["topics"] = sorted(self.topics)
        return options


@dataclass
class Reviewed:
    """A review as the service answers it: its JSON, and the review itself when a door needs it."""

    body: bytes
    cached: bool
    _review: Review | None = field(default=None, repr=False)
    stored: bool = True  # False: the review database failed; the review cannot be read back by id

    @property
    def review(self) -> Review:
        if self._review is None:
            self._review = Review.model_validate_json(self.body)
        return self._review


class ReviewJobs(Protocol):
    """Review jobs on a queue (app/jobs/): a review run by a worker, awaited."""

    async def wait(self, request: ReviewRequest) -> Reviewed: ...

    def health(self) -> dict: ...


class ReviewService:
    """Decoding, limits, stored reviews, the review slots and the metrics around one reviewer."""

    def __init__(self, settings: Settings, source: ReviewerSource, store: ReviewStore | None = None,
                 metrics: Metrics | None = None, shared: SharedState | None = None) -> None:
        self.settings = settings
        self.source = source
        self.slots = ReviewSlots(settings.max_concurrent_reviews, settings.max_queued_reviews,
                                 settings.review_timeout_s)
        self.metrics = metrics or Metrics()
        self.metrics.in_flight.set_function(lambda: self.slots.in_flight)
        self._store = store
        # Redis when DESIGN_REVIEW_REDIS_URL is set: what replicas share; else this process.
        self.shared = shared or SharedState(settings.redis_url, settings.redis_prefix, settings.redis_retry_s)
        self.jobs: ReviewJobs | None = None  # set by the composition root when jobs are configured
        self._recent = RecentReviews(settings.review_cache_size, self.shared)
        self._flights = Flights(self.shared)
        self._lines = LineMemory()
        self._shares = CallerShares(max(1, self.slots.capacity // 2))

    def start(self) -> None:
        """Open the review database and create its schema."""
        if self._store is None:
            self._store = open_review_store(self.settings.database_url)
        log.info("review store ready", extra={"fields": {"database": redact(self._store.url)}})

    def stop(self) -> None:
        self.slots.close()
        if self._store is not None:
            self._store.close()

    @property
    def store(self) -> ReviewStore:
        if self._store is None:
            self.start()
        return self._store  # type: ignore[return-value]

    async def read(self, request: ReviewRequest) -> tuple[str, ReviewRequest, Converted | None]:
        """The text to review within the limits, the request as it will be reviewed, and for a
        Word, PDF or HTML file its conversion (bounded in time and memory: convert.py)."""
        fmt = file_format(request.document, request.format)
        if fmt not in FILE_FORMATS:
            text = decode_document(request.document)
            check_limits(text, self.settings.max_document_bytes, self.settings.max_document_lines)
            return text, replace(request, format=fmt), None
        data = request.document if isinstance(request.document, bytes) else request.document.encode("utf-8")
        limits = Limits(max_text_bytes=self.settings.max_document_bytes)
        converted = await asyncio.to_thread(convert_file, data, fmt, limits)
        check_limits(converted.text, self.settings.max_document_bytes, self.settings.max_document_lines)
        request = replace(request, format=fmt, title=request.title or converted.title or None,
                          file_sha256=converted.sha256)
        return converted.text, request, converted

    def key_for(self, reviewer: Reviewer, text: str, request: ReviewRequest) -> str:
        """The stored-review key: document, request options, rubric/corpus/reviewer versions and
        the backend the request resolves to."""
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        versions = {"rubric": reviewer.rubric.version, "corpus": reviewer.corpus_version,
                    "reviewer": __version__, "embedding": reviewer.embedder.name,
                    "backend": reviewer.backend_for(request.backend)}
        if versions["backend"] == "llm":  # a new model, server or prompt is a new review
            versions["llm"] = reviewer.llm_version()
        return cache_key(sha, request.options(), versions)

    async def review(self, request: ReviewRequest) -> Reviewed:
        """A stored review for the same document and options, else a new one, stored before it returns.

        A stored review is answered as stored (marked cached), without a round trip through the
        model. Refused (503 + Retry-After) when the review slots are full or the review overruns.
        """
        started = time.perf_counter()
        text, request, converted = await self.read(request)  # over the limits: waits for nothing
        # A stored review is the common answer and costs ~1 ms: no hop to a worker thread for
        # what is quick (a loaded reviewer, the key of a document of normal size).
        source = self.source
        reviewer = source.reviewer(wait=0) if source.ready else await asyncio.to_thread(source.reviewer)
        if len(text) <= _INLINE_KEY_CHARS:
            key = self.key_for(reviewer, text, request)
        else:
            key = await asyncio.to_thread(self.key_for, reviewer, text, request)
        mine = f"{request.owner}|{key}"  # the same review, kept once per owner
        claimed = False
        if not request.fresh:
            hit = await self._cached(mine, key, request.owner)
            if hit is None:  # the first of identical submissions scores it; the others wait for it
                hit = await self._join_flight(mine, key, request.owner)
                claimed = hit is None
            if hit is not None:
                self.metrics.observe_review(hit.reviewer, cached=True)
                elapsed = int((time.perf_counter() - started) * 1000)
                return Reviewed(_ELAPSED.sub(b'"elapsed_ms":%d' % elapsed, hit.body, count=1), cached=True)
        if request.offload and self.jobs is not None and reviewer.backend_for(request.backend) == "llm":
            if claimed:  # the worker claims it itself
                await asyncio.to_thread(self._flights.release, mine)
            return await self.jobs.wait(replace(request, offload=False))
        holding = asyncio.create_task(self._flights.hold(mine)) if claimed else None
        try:
            return await self._score(request, reviewer, text, key, converted)
        finally:
            if holding is not None:
                holding.cancel()
                await asyncio.to_thread(self._flights.release, mine)

    async def _score(self, request: ReviewRequest, reviewer: Reviewer, text: str, key: str,
                     converted: Converted | None) -> Reviewed:
        """A new review in a review slot of this process, stored before it returns."""
        lines = LineMemory.lines(text)
        if len(lines) > self.settings.max_unique_lines:
            raise DocumentTooLarge(f"the document has {len(lines)} distinct lines; the limit is "
                                   f"{self.settings.max_unique_lines} (DESIGN_REVIEW_MAX_UNIQUE_LINES): "
                                   "send the design itself, not generated text")

        self._shares.take(request.caller, self.slots.retry_after())
        stop = threading.Event()  # set when the reply has timed out: the work stops at its next look

        def work() -> tuple[Review, bytes, bool]:
            try:
                review = reviewer.review(text, title=request.title, fmt="markdown" if converted else request.format,
                                         topics=request.topics, backend=request.backend, fresh=request.fresh,
                                         stop=stop.is_set)
                if converted is not None:  # each line reference also says where it is in the file
                    review = place_locations(review, converted)
            finally:  # the caller's share is back when the work ends, not when a reply times out
                self._shares.give_back(request.caller)
            self._lines.remember(lines)
            body = review.model_dump_json()
            stored = self._store_new(review, key, body, request.owner, text)  # stored before anyone sees it
            if not review.reviewer.degraded:
                self._recent.put(f"{request.owner}|{key}", Recent(_as_cached(review), review.reviewer))
            return review, body.encode("utf-8"), stored

        try:
            review, body, stored = await self.slots.run(work, cost=self._lines.expected_seconds(lines))
        except Refused as exc:
            if exc.reason == "timeout":
                stop.set()  # the review stops and frees its slot; nothing is stored
            else:  # never admitted: the work will not run to give the share back
                self._shares.give_back(request.caller)
            self.metrics.refused.labels(exc.reason).inc()
            raise
        self.metrics.observe_review(review.reviewer, cached=False)
        return Reviewed(body, cached=False, _review=review, stored=stored)

    def _store_new(self, review: Review, key: str, body: str, owner: str, text: str | None = None) -> bool:
        """Store a new review (and the text it read); False (logged) when the database fails: the
        review still answers."""
        try:
            self.store.put_json(review, key, body, owner, text)
        except DependencyError as exc:
            log.error("a review was answered but not stored", extra={"fields": {"error": str(exc)[:300]}})
            return False
        return True

    async def _cached(self, mine: str, key: str, owner: str) -> "Recent | None":
        """The hot cache's review, else the stored one; a failing database is a miss (logged)."""
        hit = await asyncio.to_thread(self._recent.get, mine) if self.shared.configured else self._recent.get(mine)
        if hit is not None:
            return hit
        try:
            return await asyncio.to_thread(self._from_store, key, owner)
        except DependencyError as exc:
            log.warning("stored reviews cannot be read: reviewing anew", extra={"fields": {"error": str(exc)[:300]}})
            return None

    async def _join_flight(self, mine: str, key: str, owner: str) -> "Recent | None":
        """None once this call holds the key's claim (it scores); else the review the holder scored."""
        deadline = time.monotonic() + self.settings.review_timeout_s
        while not await asyncio.to_thread(self._flights.claim, mine):
            await asyncio.sleep(_FLIGHT_POLL_S)
            hit = await asyncio.to_thread(self._recent.get, mine)
            if hit is not None:
                return hit
            if time.monotonic() > deadline:
                raise Refused(503, "an identical review is still being scored; retry after the Retry-After "
                                   "seconds", self.slots.retry_after(), reason="timeout")
        hit = await self._cached(mine, key, owner)  # scored and stored between the look and the claim
        if hit is not None:
            await asyncio.to_thread(self._flights.release, mine)
        return hit

    def health(self) -> dict:
        """The reviewer's health, with Redis and the jobs when configured: "degraded" when one is down."""
        body = dict(self.source.health()) if hasattr(self.source, "health") else {"status": "ok"}
        body.update(self.shared.health())
        if self.jobs is not None:
            body.update(self.jobs.health())
            if self.source.ready and body.get("model"):  # the backend a review asking none gets
                body["jobs"]["backend"] = self.source.reviewer(wait=0).backend_for(None)
        if body.get("status") == "ok" and body.get("redis", "ok") != "ok":
            body["status"] = "degraded"
        return body

    def review_now(self, request: ReviewRequest) -> Reviewed:
        """`review` for a caller without an event loop (the CLI, `check` in process)."""
        return asyncio.run(self.review(request))

    def _from_store(self, key: str, owner: str) -> "Recent | None":
        """This owner's stored review for the key; else another owner's, copied for this one (a
        review is the same whoever asked; each owner reads back only its own)."""
        review = self.store.find_cached(key, owner)
        if review is None and owner:
            theirs = self.store.find_cached(key)
            if theirs is not None:
                review = theirs.model_copy(update={"id": uuid.uuid4().hex,
                                                   "created_at": datetime.now(timezone.utc).isoformat()})
                self.store.put_json(review, key, review.model_dump_json(), owner, self.store.get_text(theirs.id))
        if review is None:
            return None
        recent = Recent(_as_cached(review), review.reviewer)
        self._recent.put(f"{owner}|{key}", recent)
        return recent


class CallerShares:
    """How many reviews each caller has admitted; one caller may hold at most half of the slots,
    so one API key cannot keep every other caller waiting."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, caller: str | None, retry_after: int) -> None:
        if caller is None:
            return
        with self._lock:
            held = self._held.get(caller, 0)
            if held >= self.limit:
                raise Refused(503, f"this caller already has {held} reviews in flight (at most {self.limit}, "
                                   "half of the review slots); retry after the Retry-After seconds",
                              retry_after, reason="caller")
            self._held[caller] = held + 1

    def give_back(self, caller: str | None) -> None:
        if caller is None:
            return
        with self._lock:
            left = self._held.get(caller, 0) - 1
            if left > 0:
                self._held[caller] = left
            else:
                self._held.pop(caller, None)


def local_service(settings: Settings, reviewer: Reviewer | None = None) -> ReviewService:
    """A review service for one process without a server (the CLI, `check`): the reviewer built
    now (ingesting a new local store first), its reviews kept in memory, not in the database, and
    no time limit: the person at the terminal waits for the review they asked for."""
    runtime = Runtime.of(reviewer or build_reviewer(settings, ingest_if_empty=True))
    unlimited = settings.model_copy(update={"review_timeout_s": UNLIMITED_S})
    return ReviewService(unlimited, runtime, store=open_review_store(MEMORY_URL), shared=SharedState(None))


UNLIMITED_S = 365 * 24 * 3600.0
_INLINE_KEY_CHARS = 256_000  # hashing this much takes well under a millisecond
_FLIGHT_POLL_S = 0.05  # how often a review waiting on an identical one looks for its answer
_ELAPSED = re.compile(rb'"elapsed_ms":\d+')  # a key only: quotes inside strings are escaped


def _as_cached(review: Review) -> bytes:
    info = review.reviewer.model_copy(update={"cached": True})
    return review.model_copy(update={"reviewer": info}).model_dump_json().encode("utf-8")
