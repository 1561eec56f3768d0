"""The service's Prometheus metrics: requests, reviews, refusals, LLM tokens (one registry per service)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from app.review.model import ReviewerInfo

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0)


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
