"""`design-review worker`: runs review jobs from the queue with one review service.

RQ's SimpleWorker runs each job in this process (the reviewer stays loaded and its caches warm).
While a job runs, a thread renews the job's lease every third of DESIGN_REVIEW_JOB_LEASE_S; a
worker that dies (SIGKILL, a lost machine) stops renewing it, and another worker's maintenance,
every lease, gives the job to a worker again. A job that finished is never run again.
"""

from __future__ import annotations

import logging
import threading

from app.config import Settings
from app.jobs import work
from app.jobs.queue import QUEUE_NAME
from app.review.runtime import Runtime
from app.review.service import ReviewService
from app.shared.state import SharedState

log = logging.getLogger("design_review")


def worker_service(settings: Settings) -> ReviewService:
    """The worker's review service: the reviewer loaded now, a review may take the whole job time."""
    settings = settings.model_copy(update={"review_timeout_s": float(settings.job_timeout_s)})
    runtime = Runtime(settings, server=False)
    runtime.start()
    runtime.reviewer(wait=600)
    service = ReviewService(settings, runtime)
    service.start()
    return service


def run_worker(settings: Settings, burst: bool = False, name: str | None = None) -> int:
    """Work jobs until stopped (SIGTERM: after the current job); `burst`: until the queue is empty."""
    from rq import Queue, SimpleWorker
    from rq.worker import WorkerStatus

    if not settings.redis_url:
        from app.errors import UserError
        raise UserError("a worker needs DESIGN_REVIEW_REDIS_URL (the queue's Redis)")
    lease = settings.job_lease_s

    class ReviewWorker(SimpleWorker):
        """A SimpleWorker whose running job's lease is renewed by a thread, and is short."""

        def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
            return lease

        def execute_job(self, job, queue) -> None:
            execution = self.prepare_execution(job)
            done = threading.Event()
            beat = threading.Thread(target=self._renew, args=(job, execution, done), daemon=True)
            beat.start()
            try:
                self.perform_job(job, queue, execution)
            finally:
                done.set()
                beat.join(timeout=5)
            self.set_state(WorkerStatus.IDLE)

        def _renew(self, job, execution, done: threading.Event) -> None:
            while not done.wait(lease / 3):
                try:
                    self.maintain_heartbeats(job, execution)
                except Exception as exc:  # Redis away for a moment: the next beat tries again
                    log.warning("could not renew a job's lease: %s", exc)

    service = worker_service(settings)
    work.install(service)
    connection = SharedState(settings.redis_url, settings.redis_prefix).client
    queue = Queue(QUEUE_NAME, connection=connection)
    # The queue is watched in blocks of `lease` seconds, and maintenance (giving abandoned jobs to
    # a worker again) runs every `lease` seconds.
    worker = ReviewWorker([queue], connection=connection, name=name, worker_ttl=lease + 15,
                          maintenance_interval=lease)
    log.info("review worker ready", extra={"fields": {"queue": QUEUE_NAME, "lease_s": lease}})
    worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
    service.stop()
    return 0
