"""The FastAPI application: `uvicorn app.main:app` or `design-review serve`."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app import __version__
from app.api import router
from app.history import router as history_router
from app.operations import install_operations
from app.config import Settings, get_settings
from app.errors import DependencyError, UserError
from app.reviewer import Reviewer
from app.slack import mount_slack

log = logging.getLogger("design_review")


class Runtime:
    """Loads the reviewer in the background so the server answers /healthz while it warms up."""

    def __init__(self, settings: Settings) -> None:
        if settings.embedding_process == "auto":  # the server: the model in a process of its own
            settings = settings.model_copy(update={"embedding_process": "on"})
        self.settings = settings
        self._reviewer: Reviewer | None = None
        self.error: str | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._load, name="reviewer-loader", daemon=True).start()

    def _load(self) -> None:
        from app.startup import load_reviewer
        try:
            self._reviewer = load_reviewer(self.settings)
        except Exception as exc:  # reported through /healthz and every route
            self.error = str(exc)
            log.error("reviewer failed to start: %s", exc)
        finally:
            self._ready.set()

    @property
    def ready(self) -> bool:
        """Whether loading has ended: `reviewer()` then answers at once, with it or with the error."""
        return self._ready.is_set()

    def reviewer(self, wait: float = 30.0) -> Reviewer:
        self._ready.wait(wait)
        if self._reviewer is None:
            raise DependencyError(self.error or "the reviewer is still starting; retry in a few seconds")
        return self._reviewer

    def health(self) -> dict:
        if not self._ready.is_set():
            return {"status": "starting", "model": False, "store": False}
        if self._reviewer is None:
            return {"status": "error", "model": False, "store": False, "error": self.error}
        return {"status": "ok", "model": True, "store": True,
                "embedding_model": self._reviewer.embedder.name,
                "rubric_version": self._reviewer.rubric.version,
                "corpus_version": self._reviewer.corpus_version}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the reviewer loads in the background at start-up."""
    runtime = Runtime(settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        ops.start()
        runtime.start()
        yield
        ops.stop()

    app = FastAPI(title="design-reviewer", version=__version__, lifespan=lifespan,
                  description="Reviews ML system design documents against the ML system design flow.")
    app.state.runtime = runtime
    app.include_router(router)
    app.include_router(history_router)
    ops = install_operations(app, runtime.settings)  # stored reviews, auth, limits, logs, /metrics
    mount_slack(app, runtime)  # /slack/events: the Slack bot, or 503 when it is not configured

    @app.get("/healthz", tags=["health"])
    def healthz() -> JSONResponse:
        """Whether the embedding model and the store are ready (503 until they are)."""
        body = runtime.health()
        return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)

    @app.exception_handler(DependencyError)
    async def dependency_error(request: Request, exc: DependencyError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            problems = ['the request body is not valid JSON: send {"document": "...", '
                        '"format": "markdown" or "text", "title": "..."}']
        else:
            problems = [f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}"
                        for e in exc.errors()]
        return JSONResponse({"detail": "; ".join(problems) or "invalid request",
                             "errors": jsonable(exc.errors())}, status_code=422)

    return app


def jsonable(errors: list) -> list:
    return [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in errors]


app = create_app()
