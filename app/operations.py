"""The service's operations: stored reviews, limits, auth, metrics, wired into a FastAPI app.

`install_operations(app, settings)` adds the guard middleware, /metrics, the error handlers for
refused requests and unexpected errors, and the OpenAPI declarations (bearer scheme, error
bodies). Routes reach the `Operations` object through `OpsDep`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Protocol

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response

from app import __version__
from app.config import Settings
from app.document import check_limits, decode_document
from app.guard import Guard
from app.limits import LineMemory, Refused, ReviewSlots, TokenBucket
from app.observability import Metrics, configure_logging
from app.review import Review, ReviewerInfo
from app.reviewer import Reviewer
from app.security import KeyRing, needs_auth
from app.slack import EVENTS_PATH
from app.storage import ReviewStore, cache_key, open_review_store, redact

log = logging.getLogger("design_review")


class ReviewerSource(Protocol):
    """Where routes get the reviewer: `reviewer()` waits for it while it loads."""

    @property
    def ready(self) -> bool: ...

    def reviewer(self, wait: float = 30.0) -> Reviewer: ...


class Operations:
    """Per-app state for stored reviews, limits and metrics."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = KeyRing(settings.api_keys)
        self.buckets = TokenBucket(settings.rate_limit_per_minute, settings.rate_limit_burst)
        self.slots = ReviewSlots(settings.max_concurrent_reviews, settings.max_queued_reviews,
                                 settings.review_timeout_s)
        self.metrics = Metrics()
        self.metrics.in_flight.set_function(lambda: self.slots.in_flight)
        self._store: ReviewStore | None = None
        self._hot = HotReviews(settings.review_cache_size)
        self._lines = LineMemory()

    def start(self) -> None:
        """Open the review database and create its schema."""
        self._store = open_review_store(self.settings.database_url)
        log.info("review store ready", extra={"fields": {"database": redact(self._store.url),
                                                         "auth": self.keys.enabled}})

    def stop(self) -> None:
        self.slots.close()
        if self._store is not None:
            self._store.close()

    @property
    def store(self) -> ReviewStore:
        if self._store is None:
            self.start()
        return self._store  # type: ignore[return-value]

    def key_for(self, reviewer: Reviewer, document: str, options: dict[str, Any],
                backend: str | None = None) -> str:
        """The stored-review cache key: document, request options, rubric/corpus/reviewer versions
        and the backend the request resolves to."""
        sha = hashlib.sha256(document.encode("utf-8")).hexdigest()
        versions = {"rubric": reviewer.rubric.version, "corpus": reviewer.corpus_version,
                    "reviewer": __version__, "embedding": reviewer.embedder.name,
                    "backend": reviewer.backend_for(backend)}
        if versions["backend"] == "llm":  # a new model, server or prompt is a new review
            versions["llm"] = reviewer.llm_version()
        return cache_key(sha, options, versions)

    async def review(self, source: "ReviewerSource", document: str,
                     options: dict[str, Any], backend: str | None,
                     run: Callable[[Reviewer], Review]) -> Response:
        """A stored review for the same document and options, else a new one, stored before it returns.

        Answers with the review's JSON bytes: a stored review is sent as stored (marked cached),
        without a round trip through the model.
        """
        started = time.perf_counter()
        text = decode_document(document)  # a document over the limits waits for nothing
        check_limits(text, self.settings.max_document_bytes, self.settings.max_document_lines)
        # A stored review is the common answer and costs ~1 ms: no hop to a worker thread for
        # what is quick (a loaded reviewer, the key of a document of normal size).
        reviewer = source.reviewer(wait=0) if source.ready else await run_in_threadpool(source.reviewer)
        if len(text) <= _INLINE_KEY_CHARS:
            key = self.key_for(reviewer, text, options, backend)
        else:
            key = await run_in_threadpool(self.key_for, reviewer, text, options, backend)
        hot = self._hot.get(key) or await run_in_threadpool(self._from_store, key)
        if hot is not None:
            self.metrics.observe_review(hot.reviewer, cached=True)
            elapsed = int((time.perf_counter() - started) * 1000)
            return _json(_ELAPSED.sub(b'"elapsed_ms":%d' % elapsed, hot.body, count=1))

        lines = LineMemory.lines(text)

        def work() -> tuple[Review, bytes]:
            review = run(reviewer)
            self._lines.remember(lines)
            body = review.model_dump_json()
            self.store.put_json(review, key, body)  # stored before anyone sees it
            if not review.reviewer.degraded:
                self._hot.put(key, Hot(_as_cached(review), review.reviewer))
            return review, body.encode("utf-8")

        try:
            review, body = await self.slots.run(work, cost=self._lines.expected_seconds(lines))
        except Refused as exc:
            self.metrics.refused.labels(exc.reason).inc()
            raise
        self.metrics.observe_review(review.reviewer, cached=False)
        return _json(body)

    def _from_store(self, key: str) -> "Hot | None":
        review = self.store.find_cached(key)
        if review is None:
            return None
        hot = Hot(_as_cached(review), review.reviewer)
        self._hot.put(key, hot)
        return hot


@dataclass(frozen=True)
class Hot:
    """A review's JSON (with its reviewer info for the metrics), kept in memory by cache key."""

    body: bytes
    reviewer: ReviewerInfo


class HotReviews:
    """The most recently used stored reviews as JSON bytes (DESIGN_REVIEW_REVIEW_CACHE_SIZE)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, Hot] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Hot | None:
        with self._lock:
            hot = self._items.get(key)
            if hot is not None:
                self._items.move_to_end(key)
            return hot

    def put(self, key: str, hot: Hot) -> None:
        with self._lock:
            self._items[key] = hot
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_INLINE_KEY_CHARS = 256_000  # hashing this much takes well under a millisecond
_ELAPSED = re.compile(rb'"elapsed_ms":\d+')  # a key only: quotes inside strings are escaped


def _as_cached(review: Review) -> bytes:
    info = review.reviewer.model_copy(update={"cached": True})
    return review.model_copy(update={"reviewer": info}).model_dump_json().encode("utf-8")


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def get_operations(request: Request) -> Operations:
    return request.app.state.operations


OpsDep = Annotated[Operations, Depends(get_operations)]


def install_operations(app: FastAPI, settings: Settings) -> Operations:
    """Wire stored reviews, limits, auth, logs and metrics into the app."""
    configure_logging(settings.log_format)
    ops = Operations(settings)
    app.state.operations = ops
    app.add_middleware(Guard, keys=ops.keys, buckets=ops.buckets, metrics=ops.metrics,
                       max_request_bytes=settings.max_request_bytes,
                       metrics_require_auth=settings.metrics_require_auth,
                       allowed_methods=lambda path: allowed_methods(app, path),
                       max_in_flight=settings.max_in_flight_requests)

    @app.get("/metrics", tags=["operations"], response_class=Response,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text format"}})
    def metrics() -> Response:
        """Prometheus metrics (behind the API key when keys are set and DESIGN_REVIEW_METRICS_REQUIRE_AUTH)."""
        body, content_type = ops.metrics.render()
        return Response(body, media_type=content_type)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return JSONResponse({"detail": str(exc), "request_id": request.state.request_id},
                            status_code=exc.status_code, headers=headers)

    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    return ops


ERROR_BODY = {"type": "object", "required": ["detail"],
              "properties": {"detail": {"type": "string"},
                             "request_id": {"type": "string"},
                             "errors": {"type": "array", "items": {"type": "object"}}}}
_ERRORS = {"400": "the body could not be read (not UTF-8 JSON)",
           "401": "no valid API key (only when keys are configured)",
           "404": "no such review",
           "413": "the request body or the document is over a limit",
           "422": "the request is invalid; the detail says what to fix",
           "429": "rate limit; see Retry-After",
           "500": "unexpected failure; the body carries the request id",
           "503": "busy, timed out, or a dependency is missing; see Retry-After and the detail"}


def _openapi(app: FastAPI, settings: Settings) -> dict:
    """The app's OpenAPI with the bearer scheme and the JSON error bodies every route may answer."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_BODY
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer",
                                                "description": "an API key from DESIGN_REVIEW_API_KEYS"}}
    for path, methods in schema.get("paths", {}).items():
        secured = bool(settings.api_keys) and needs_auth(path, settings.metrics_require_auth)
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            for status, description in _ERRORS.items():
                if status == "401" and not secured:
                    continue
                if status == "400" and "requestBody" not in operation:
                    continue
                if status == "404" and "{" not in path:
                    continue
                responses[status] = {"description": description, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            if secured:
                operation["security"] = [{"bearer": []}]
    slack = schema.get("paths", {}).get(EVENTS_PATH, {}).get("post")
    if slack:  # bolt answers a request without a valid Slack signature itself
        slack["responses"]["401"] = {"description": "no valid Slack signature", "content": {
            "application/json": {"schema": {"type": "object"}}}}
    app.openapi_schema = schema
    return schema


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only the first route's)."""
    from starlette.routing import Match
    scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
    methods: set[str] = set()
    for route in app.router.routes:
        if getattr(route, "methods", None) and route.matches(scope)[0] != Match.NONE:
            methods |= set(route.methods)
    return sorted(methods)
