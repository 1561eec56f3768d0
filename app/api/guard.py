"""The ASGI middleware in front of every route: request id, body size, API key, rate limit, logs.

It also is the last line of defence: an unexpected exception becomes a JSON 500 carrying the
request id (logged with its traceback, never sent to the caller).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from typing import Callable

from fastapi import HTTPException

from app.api.logs import log_request, request_id
from app.api.ratelimit import TokenBucket
from app.review.metrics import Metrics
from app.api.security import PUBLIC_PATHS, KeyRing, needs_auth

log = logging.getLogger("design_review")


class BodyTooLarge(HTTPException):
    """The request body passed the configured limit while it was being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, body_message(limit))


def body_message(limit: int) -> str:
    return (f"the request body is over {limit} bytes (DESIGN_REVIEW_MAX_REQUEST_BYTES): "
            "send a smaller document")


class BodyTooSlow(HTTPException):
    """The request body did not arrive within the time a client is given to send it."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"the request body did not arrive within {seconds:g} s "
                              "(DESIGN_REVIEW_BODY_TIMEOUT_S): send it at once")


class Guard:
    """Pure ASGI middleware (no buffering, works for streaming and error responses alike)."""

    def __init__(self, app, *, keys: KeyRing, buckets: TokenBucket, metrics: Metrics,
                 max_request_bytes: int, metrics_require_auth: bool,
                 allowed_methods: Callable[[str], list[str]] = lambda path: [],
                 max_in_flight: int = 0, signed_paths: frozenset[str] = frozenset(),
                 failed_auth_per_minute: int = 30, body_timeout_s: float = 15.0) -> None:
        self.app = app
        self.keys = keys
        self.buckets = buckets
        # Failed keys per client address: guessing keys is slow whatever the rate limit setting.
        self.failures = TokenBucket(failed_auth_per_minute, failed_auth_per_minute)
        self.metrics = metrics
        self.max_bytes = max_request_bytes
        self.metrics_require_auth = metrics_require_auth
        self.allowed_methods = allowed_methods
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.signed = signed_paths  # paths that authenticate by a signature of their own
        # Those paths answer anyone, so they get a budget of their own: they cannot fill the one
        # that authenticated requests share.
        self.signed_budget = max(4, max_in_flight // 4) if max_in_flight else 0
        self.signed_in_flight = 0
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        rid = request_id(headers.get("x-request-id"))
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        outcome = {"status": 500, "started": False}
        path = scope.get("path", "")

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"], outcome["started"] = message["status"], True
                extra = [(b"x-request-id", rid.encode())]
                if message["status"] == 405:  # name every method the path serves, not just one route's
                    methods = self.allowed_methods(path)
                    extra.append((b"allow", ", ".join(methods).encode()))
                    message["headers"] = [h for h in message.get("headers", []) if h[0].lower() != b"allow"]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        key = None
        try:
            refusal, key = self._check(scope, headers, path)
            state["key_id"] = key
            if refusal is None and self._full(path):
                self.metrics.refused.labels("in_flight").inc()
                refusal = error(503, f"the service is busy: {self.in_flight} requests are in flight (the "
                                     f"limit is {self.max_in_flight}, DESIGN_REVIEW_MAX_IN_FLIGHT_REQUESTS); "
                                     "retry after the Retry-After seconds", rid, {"retry-after": "1"})
            signed = path in self.signed
            if refusal is None and signed and 0 < self.signed_budget <= self.signed_in_flight:
                self.metrics.refused.labels("in_flight").inc()
                refusal = error(503, f"{path} is busy: {self.signed_in_flight} requests are in flight "
                                     "there; retry after the Retry-After seconds", rid, {"retry-after": "1"})
            if refusal is not None:
                await refusal(send_with_id)
            else:
                # Health, docs and metrics always answer and take nothing from the budgets.
                counter = ("signed_in_flight" if signed else
                           "in_flight" if needs_auth(path, False, self.signed) else None)
                if counter:
                    setattr(self, counter, getattr(self, counter) + 1)
                try:
                    await self.app(scope, self._counting(receive, started), send_with_id)
                finally:
                    if counter:
                        setattr(self, counter, getattr(self, counter) - 1)
        except (BodyTooLarge, BodyTooSlow) as exc:
            if not outcome["started"]:
                await error(exc.status_code, exc.detail, rid)(send_with_id)
        except Exception:  # the catch-all: a JSON 500 with the request id, the traceback only in the log
            log.exception("unhandled error", extra={"fields": {"request_id": rid, "path": path}})
            if not outcome["started"]:
                await error(500, "internal error: the service failed on this request; report the "
                                 "request id if it happens again", rid)(send_with_id)
        finally:
            route = getattr(scope.get("route"), "path", None) or ("unmatched" if outcome["status"] == 404
                                                                  else path if path in PUBLIC_PATHS else "other")
            self.metrics.observe_request(scope["method"], route, outcome["status"],
                                         time.perf_counter() - started)
            client = scope.get("client")
            log_request(scope["method"], path, outcome["status"], started, rid, key,
                        client[0] if client else None)

    def _check(self, scope, headers: dict, path: str):
        """(a refusal to send or None, the caller's key id)."""
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            return error(413, body_message(self.max_bytes), scope["state"]["request_id"]), None
        if not needs_auth(path, self.metrics_require_auth, self.signed):
            return None, None
        key = None
        if self.keys.enabled:
            key = self.keys.check(headers.get("authorization"))
            if key is None:
                client = (scope.get("client") or ("unknown",))[0]
                wait = self.failures.take(client)
                if wait > 0:
                    self.metrics.refused.labels("failed_auth").inc()
                    retry = max(1, math.ceil(wait))
                    return error(429, f"too many requests without a valid API key from this address; retry "
                                      f"in {retry} s", scope["state"]["request_id"], {"retry-after": str(retry)}), None
                given = "authorization" in headers
                return error(401, "a valid API key is required: send 'Authorization: Bearer <key>'"
                             + (" (the key given is not accepted)" if given else ""),
                             scope["state"]["request_id"],
                             {"www-authenticate": 'Bearer realm="design-review"'
                              + (', error="invalid_token"' if given else "")}), None
        caller = key or (scope.get("client") or ("unknown",))[0]
        wait = self.buckets.take(caller)
        if wait > 0:
            self.metrics.refused.labels("rate_limit").inc()
            retry = max(1, math.ceil(wait))
            return error(429, f"rate limit: at most {self.buckets.rate * 60:g} requests a minute "
                              f"(bursts of {self.buckets.burst}) per {'API key' if key else 'client'}; "
                              f"retry in {retry} s (DESIGN_REVIEW_RATE_LIMIT_PER_MINUTE)",
                         scope["state"]["request_id"], {"retry-after": str(retry)}), key
        return None, key

    def _full(self, path: str) -> bool:
        """Whether the service already holds as many requests as it may (health and docs always pass)."""
        return 0 < self.max_in_flight <= self.in_flight and needs_auth(path, False, self.signed)

    def _counting(self, receive, started: float):
        """`receive` that raises BodyTooLarge once more than the limit has arrived (chunked bodies),
        and BodyTooSlow when the body has not all arrived within body_timeout_s of the request."""
        seen, done = 0, False
        deadline = started + self.body_timeout_s

        async def wrapped():
            nonlocal seen, done
            if done or not self.body_timeout_s:  # the body is in: wait for a disconnect as long as it takes
                message = await receive()
            else:
                try:
                    message = await asyncio.wait_for(receive(), max(0.001, deadline - time.perf_counter()))
                except asyncio.TimeoutError:
                    raise BodyTooSlow(self.body_timeout_s) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                done = not message.get("more_body", False)
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message
        return wrapped


def error(status: int, detail: str, rid: str, headers: dict[str, str] | None = None):
    """An ASGI sender of a JSON error body {"detail", "request_id"}."""
    body = json.dumps({"detail": detail, "request_id": rid}).encode()

    async def respond(send) -> None:
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
    return respond
