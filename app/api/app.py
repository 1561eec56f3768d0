"""The FastAPI application: `uvicorn app.api.app:app` or `design-review serve`."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import __version__
from app.api.history import router as history_router
from app.api.jobs import router as jobs_router
from app.api.pages import install_pages
from app.api.routes import router
from app.api.setup import install_operations
from app.errors import DependencyError, UserError
from app.review.service import ReviewService

log = logging.getLogger("design_review")


def create_api(service: ReviewService, signed_paths: frozenset[str] = frozenset()) -> FastAPI:
    """The REST API over a review service; its reviewer loads in the background at start-up.

    `signed_paths`: routes a door mounts afterwards that authenticate by their own signature.
    """
    runtime = service.source

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        service.start()
        runtime.start()
        yield
        service.stop()

    app = FastAPI(title="design-reviewer", version=__version__, lifespan=lifespan,
                  description="Reviews ML system design documents against the ML system design flow.",
                  docs_url=None, redoc_url=None)  # pages.py serves both from local assets
    app.state.service = service
    app.include_router(router)
    app.include_router(history_router)
    app.include_router(jobs_router)
    install_operations(app, service, signed_paths)  # auth, rate limits, logs, /metrics
    install_pages(app)  # the review page, its static files, /docs and /redoc

    @app.get("/healthz", tags=["health"])
    def healthz() -> JSONResponse:
        """Whether the embedding model and the store are ready (503 until they are); "degraded" (200)
        while Redis is down and this replica keeps its own limits."""
        body = service.health()
        return JSONResponse(body, status_code=200 if body["status"] in ("ok", "degraded") else 503)

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)

    @app.exception_handler(DependencyError)
    async def dependency_error(request: Request, exc: DependencyError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            problems = ['the request body is not valid JSON: send {"document": "...", '
                        '"format": "markdown" or "text", "title": "..."}']
        elif kind not in ("application/json", "multipart/form-data") and any(
                tuple(e.get("loc", ())) == ("body",) for e in exc.errors()):
            problems = [f"the request body is {kind or 'without a content type'}: send application/json "
                        '({"document": "..."}) or multipart/form-data with the design as the field "file"']
        else:
            problems = [f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
                        for e in exc.errors()]
        return JSONResponse({"detail": "; ".join(problems) or "invalid request",
                             "errors": jsonable(exc.errors())}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            exc = StarletteHTTPException(400, 'the request body could not be read: send UTF-8 JSON ({"document": '
                                         '"..."}) or multipart/form-data with the design as the field "file"')
        return await http_exception_handler(request, exc)

    return app


def jsonable(errors: list) -> list:
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in errors]
