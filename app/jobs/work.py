"""What a worker runs for one job: the review through the worker's review service, then the callback."""

from __future__ import annotations

import json

from app.jobs.callback import deliver
from app.review.service import ReviewRequest, ReviewService

_service: ReviewService | None = None  # the worker process's service (worker.py installs it)


def install(service: ReviewService) -> None:
    global _service
    _service = service


def run_review_job(payload: dict, callback_url: str | None = None) -> dict:
    """Review the job's design; POST the signed outcome to the callback URL, once per job."""
    from rq import get_current_job

    if _service is None:
        raise RuntimeError("no review service in this process: run jobs with `design-review worker`")
    request = ReviewRequest(**{**payload, "topics": frozenset(payload.get("topics") or ())})
    answer = _service.review_now(request)
    body = answer.body.decode("utf-8")
    if callback_url:
        job = get_current_job()
        job_id = job.id if job is not None else ""
        first = _service.shared.claim("callback", job_id, 86_400)  # a retried job calls back once
        if first is not False:
            secret = _service.settings.callback_secret
            message = json.dumps({"id": job_id, "state": "done", "stored": answer.stored}).encode()[:-1] \
                + b', "review": ' + answer.body + b"}"
            deliver(callback_url, message, secret.get_secret_value() if secret else "", job_id)
    return {"review": body, "stored": answer.stored}
