"""The API's operations around the review service: auth, rate limits, logs, /metrics, OpenAPI.

`install_operations(app, service, ...)` adds the guard middleware, /metrics, the handler for
refused requests, and the OpenAPI declarations (bearer scheme, error bodies). Routes reach the
review service through `ServiceDep`.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response

from app.api.guard import Guard
from app.api.logs import configure_logging
from app.api.ratelimit import TokenBucket
from app.api.security import KeyRing, needs_auth
from app.config import Settings
from app.errors import Refused
from app.review.service import ReviewService

log = logging.getLogger("design_review")


def get_service(request: Request) -> ReviewService:
    return request.app.state.service


ServiceDep = Annotated[ReviewService, Depends(get_service)]


def install_operations(app: FastAPI, service: ReviewService,
                       signed_paths: frozenset[str] = frozenset()) -> None:
    """Wire auth, rate limits, logs and metrics into the app; `signed_paths` authenticate by a
    signature of their own (Slack's events) instead of an API key."""
    settings = service.settings
    configure_logging(settings.log_format)
    keys = KeyRing(settings.api_keys)
    buckets = TokenBucket(settings.rate_limit_per_minute, settings.rate_limit_burst, shared=service.shared)
    app.add_middleware(Guard, keys=keys, buckets=buckets, metrics=service.metrics,
                       max_request_bytes=settings.max_request_bytes,
                       metrics_require_auth=settings.metrics_require_auth,
                       allowed_methods=lambda path: allowed_methods(app, path),
                       max_in_flight=settings.max_in_flight_requests, signed_paths=signed_paths,
                       failed_auth_per_minute=settings.failed_auth_per_minute,
                       body_timeout_s=settings.body_timeout_s)
    log.info("API ready to serve", extra={"fields": {"auth": keys.enabled}})

    @app.get("/metrics", tags=["operations"], response_class=Response,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text format"}})
    def metrics() -> Response:
        """Prometheus metrics (behind the API key when keys are set and DESIGN_REVIEW_METRICS_REQUIRE_AUTH)."""
        body, content_type = service.metrics.render()
        return Response(body, media_type=content_type)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return JSONResponse({"detail": str(exc), "request_id": request.state.request_id},
                            status_code=exc.status_code, headers=headers)

    app.openapi = lambda: _openapi(app, settings, signed_paths)  # type: ignore[method-assign]


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


def _openapi(app: FastAPI, settings: Settings, signed_paths: frozenset[str]) -> dict:
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
        secured = bool(settings.api_keys) and needs_auth(path, settings.metrics_require_auth, signed_paths)
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
    for path in signed_paths:  # the door answers a request without a valid signature itself
        signed = schema.get("paths", {}).get(path, {}).get("post")
        if signed:
            signed["responses"]["401"] = {"description": "no valid signature", "content": {
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
