"""Request ids, one JSON log line per request, and Prometheus metrics (one registry per app)."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from app.review import ReviewerInfo

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0)
access_log = logging.getLogger("design_review.access")


def request_id(incoming: str | None) -> str:
    """The caller's X-Request-ID when it is a safe token (1-128 of A-Z a-z 0-9 . _ : -), else a new one."""
    if incoming and _REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(fmt: str, level: str = "INFO") -> None:
    """Send the project's logs to stderr, as JSON lines or plain text; once per process."""
    root = logging.getLogger("design_review")
    if any(getattr(h, "_design_review", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._design_review = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s %(fields)s",
                                           defaults={"fields": ""}))
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False


class Metrics:
    """The service's Prometheus metrics in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("design_review_http_requests_total", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=r)
        self.latency = Histogram("design_review_http_request_duration_seconds",
                                 "HTTP request latency by route", ["method", "route"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.reviews = Counter("design_review_reviews_total", "reviews answered, by backend and outcome",
                               ["backend", "degraded", "cached"], registry=r)
        self.cache_hits = Counter("design_review_review_cache_hits_total",
                                  "reviews answered from the stored-review cache", registry=r)
        self.tokens = Counter("design_review_llm_tokens_total", "LLM tokens spent by reviews",
                              ["direction"], registry=r)
        self.refused = Counter("design_review_refused_total", "requests refused by a limit",
                               ["reason"], registry=r)
        self.in_flight = Gauge("design_review_reviews_in_flight", "reviews running or waiting", registry=r)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def observe_review(self, info: ReviewerInfo, cached: bool) -> None:
        """Count one review answered, by backend, degraded and cached, and the LLM tokens it spent."""
        self.reviews.labels(info.backend.split(":", 1)[0], str(info.degraded).lower(),
                            str(cached).lower()).inc()
        if cached:
            self.cache_hits.inc()
            return
        if info.usage:
            for direction, count in (("input", info.usage.input_tokens),
                                     ("output", info.usage.output_tokens)):
                if count > 0:
                    self.tokens.labels(direction).inc(count)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def log_request(method: str, path: str, status: int, started: float, rid: str,
                key: str | None, client: str | None) -> None:
    """The one access-log line of a request: no body, no query string, no key."""
    access_log.info("request", extra={"fields": {
        "method": method, "path": path, "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "request_id": rid, "key_id": key, "client": client}})
