"""Review jobs over REST: GET /v1/jobs/{id}, the state of a review submitted with respond-async."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.api.routes import owner_of
from app.api.setup import ServiceDep
from app.errors import UserError

router = APIRouter(tags=["jobs"])


class JobNotFound(UserError):
    status_code = 404


JOB_SCHEMA = {"type": "object", "required": ["id", "state", "url"], "properties": {
    "id": {"type": "string"}, "url": {"type": "string"},
    "state": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
    "stored": {"type": "boolean"}, "error": {"type": "string"},
    "review": {"$ref": "#/components/schemas/Review"}}}


@router.get("/v1/jobs/{job_id}", response_class=Response,
            responses={200: {"content": {"application/json": {"schema": JOB_SCHEMA}},
                             "description": "the job's state; its review once done"}})
async def get_job(service: ServiceDep, request: Request,
                  job_id: Annotated[str, Path(min_length=1, max_length=128)]) -> Response:
    """A review job: queued, running, done (with the review) or failed (with the reason)."""
    jobs = service.jobs
    if jobs is None:
        raise JobNotFound("this server runs no review jobs (DESIGN_REVIEW_REDIS_URL is not set)")
    owner = owner_of(request, service)
    view = await run_in_threadpool(jobs.view, job_id, owner if service.settings.api_keys and owner else None)
    if view is None:
        raise JobNotFound(f"no review job has the id {job_id!r} (a finished job is kept for "
                          f"{service.settings.job_result_ttl_s} s)")
    return Response(view.as_json(), media_type="application/json")
