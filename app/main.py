"""The server process: `uvicorn app.main:app` or `design-review serve`.

The composition root: it builds the review service once and mounts every door that speaks HTTP
on it (the REST API, and the Slack bot at /slack/events).
"""

from __future__ import annotations

from fastapi import FastAPI

from app.api.app import create_api
from app.config import Settings, get_settings
from app.review.runtime import Runtime
from app.review.service import ReviewService
from app.slack import EVENTS_PATH, mount_slack


def create_app(settings: Settings | None = None) -> FastAPI:
    """The REST API and the Slack bot over one review service."""
    runtime = Runtime(settings or get_settings())  # loads the reviewer in the background
    service = ReviewService(runtime.settings, runtime)
    if service.shared.configured:  # review jobs on the same Redis: 202 + a job URL, LLM reviews on workers
        from app.jobs.queue import ReviewJobs
        service.jobs = ReviewJobs(service.settings, service.shared)
    app = create_api(service, signed_paths=frozenset({EVENTS_PATH}))
    mount_slack(app, service)  # /slack/events: the Slack bot, or 503 when it is not configured
    return app


app = create_app()
