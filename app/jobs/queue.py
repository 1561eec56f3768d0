"""Review jobs on RQ (Redis Queue): the one module that imports rq.

The API submits a job and answers 202 with its URL; a worker (`design-review worker`) runs it
through the same review service; GET /v1/jobs/{id} reads its state and, when done, its review.
A job whose worker dies is given to another worker (worker.py) and completes once.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass

from app.config import Settings
from app.errors import DependencyError, Refused
from app.jobs.callback import check_callback
from app.review.service import Reviewed, ReviewRequest
from app.shared.state import SharedState

QUEUE_NAME = "reviews"
RETRIES = 2  # a job whose worker died runs again at most this many times
_STATES = {"queued": "queued", "deferred": "queued", "scheduled": "queued", "started": "running",
           "finished": "done", "failed": "failed", "stopped": "failed", "canceled": "failed"}


@dataclass
class JobView:
    """A job as the API shows it: id, state (queued, running, done, failed) and its outcome."""

    id: str
    state: str
    review: bytes | None = None
    stored: bool = True
    error: str | None = None

    def as_json(self) -> bytes:
        """{"id", "state", "url", "review"?, "error"?}: the review's JSON is spliced in as is."""
        head = {"id": self.id, "state": self.state, "url": f"/v1/jobs/{self.id}"}
        if self.error:
            head["error"] = self.error
        if self.review is None:
            return json.dumps(head).encode()
        head["stored"] = self.stored
        return json.dumps(head).encode()[:-1] + b', "review": ' + self.review + b"}"


class ReviewJobs:
    """Submits review jobs to the queue and reads them back."""

    def __init__(self, settings: Settings, shared: SharedState) -> None:
        from rq import Queue

        if shared.client is None:
            raise DependencyError("review jobs need DESIGN_REVIEW_REDIS_URL")
        self.settings = settings
        self.queue = Queue(QUEUE_NAME, connection=shared.client, default_timeout=settings.job_timeout_s)

    def submit(self, request: ReviewRequest, callback_url: str | None = None) -> JobView:
        """Queue a review; refused (422) for a callback URL not allowed, 503 when Redis is down."""
        from redis import RedisError
        from rq import Retry

        if callback_url:
            check_callback(callback_url, self.settings)
        payload = {k: v for k, v in asdict(request).items() if k != "offload"}
        payload["topics"] = sorted(request.topics)
        try:
            job = self.queue.enqueue("app.jobs.work.run_review_job", payload, callback_url,
                                     job_timeout=self.settings.job_timeout_s,
                                     result_ttl=self.settings.job_result_ttl_s,
                                     failure_ttl=self.settings.job_result_ttl_s,
                                     retry=Retry(max=RETRIES), meta={"owner": request.owner})
        except (RedisError, OSError) as exc:
            raise Refused(503, f"the job queue (Redis) cannot take the review: {exc}; retry after the "
                               "Retry-After seconds or send it without respond-async", 5, reason="jobs") from exc
        return JobView(job.id, "queued")

    def view(self, job_id: str, owner: str | None = None) -> JobView | None:
        """The job's state and outcome; None for no such job (or another API key's)."""
        from redis import RedisError
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        try:
            job = Job.fetch(job_id, connection=self.queue.connection)
            status = job.get_status()
        except NoSuchJobError:
            return None
        except (RedisError, OSError) as exc:
            raise DependencyError(f"the job queue (Redis) cannot be read: {exc}") from exc
        if owner is not None and job.meta.get("owner", "") != owner:
            return None
        state = _STATES.get(str(getattr(status, "value", status)), "queued")
        if state == "done":
            result = job.return_value() or {}
            return JobView(job.id, state, result.get("review", "").encode(), result.get("stored", True))
        if state == "failed":
            return JobView(job.id, state, error=_failure(job))
        return JobView(job.id, state)

    async def wait(self, request: ReviewRequest) -> Reviewed:
        """Submit a review and wait for a worker to finish it (an LLM review from Slack)."""
        job = await asyncio.to_thread(self.submit, request)
        deadline = time.monotonic() + self.settings.job_timeout_s * (RETRIES + 1)
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            view = await asyncio.to_thread(self.view, job.id)
            if view is not None and view.state == "done":
                return Reviewed(view.review or b"", cached=False, stored=view.stored)
            if view is None or view.state == "failed":
                raise DependencyError(f"the review job failed: {view.error if view else 'it expired'}")
        raise Refused(503, "the review job did not finish in time", 5, reason="timeout")

    def health(self) -> dict:
        from redis import RedisError
        from rq import Worker

        try:
            return {"jobs": {"queued": self.queue.count, "workers": Worker.count(queue=self.queue)}}
        except (RedisError, OSError):
            return {"jobs": {"queued": None, "workers": None}}


def _failure(job) -> str:
    """The last line of the job's error: the reason, without the worker's traceback."""
    text = ""
    try:
        latest = job.latest_result()
        text = (latest.exc_string if latest is not None else "") or ""
    except Exception:  # an expired result: say so rather than fail the read
        text = ""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:500] if lines else "the job failed"
