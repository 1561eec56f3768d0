"""Review jobs through the replicated topology: 202 and a job URL, the job's review, a signed
callback, and a worker killed mid-job (SIGKILL) whose job completes once on the other worker."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import httpx
from fastapi import FastAPI, Request

from app.jobs.callback import SIGNATURE_HEADER
from helpers import read_fixture
from servers import serve
from topology import CALLBACK_SECRET, WorkerProcess


def wait_done(url: str, job_url: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{url}{job_url}", timeout=30).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"the job {job_url} did not finish: {job}")


def test_respond_async_answers_202_and_the_job_gives_the_review(topology):
    a, b = topology.apis
    document = read_fixture("fraud_metrics.md") + f"\n{uuid.uuid4()}\n"
    answer = httpx.post(f"{a.url}/v1/reviews", json={"document": document},
                        headers={"Prefer": "respond-async"}, timeout=30)
    assert answer.status_code == 202 and answer.headers["location"] == answer.json()["url"]
    assert answer.json()["state"] == "queued"
    job = wait_done(b.url, answer.json()["url"])
    assert job["state"] == "done" and job["stored"] is True
    assert job["review"]["document"]["sha256"] == hashlib.sha256(document.encode()).hexdigest()
    assert httpx.get(f"{a.url}/v1/reviews/{job['review']['id']}", timeout=30).status_code == 200
    assert httpx.get(f"{a.url}/v1/jobs/no-such-job", timeout=30).status_code == 404


def test_a_callback_gets_the_review_signed(topology):
    received: list[tuple[bytes, str]] = []
    sink = FastAPI()

    @sink.post("/hook")
    async def hook(request: Request) -> dict:
        received.append((await request.body(), request.headers.get(SIGNATURE_HEADER, "")))
        return {}

    with serve(sink) as sink_url:
        refused = httpx.post(f"{topology.apis[0].url}/v1/reviews", timeout=30, json={
            "document": read_fixture("week_split.md"), "callback_url": "http://example.com/hook"})
        assert refused.status_code == 422 and "ALLOWED_HOSTS" in refused.json()["detail"]
        answer = httpx.post(f"{topology.apis[0].url}/v1/reviews", timeout=30, json={
            "document": read_fixture("week_split.md") + f"\n{uuid.uuid4()}\n", "async": True,
            "callback_url": f"{sink_url}/hook"})
        assert answer.status_code == 202
        wait_done(topology.apis[1].url, answer.json()["url"])
        deadline = time.monotonic() + 30
        while not received and time.monotonic() < deadline:
            time.sleep(0.1)
    body, signature = received[0]
    assert signature == "sha256=" + hmac.new(CALLBACK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert json.loads(body)["review"]["overall"]["verdict"]


def test_a_worker_killed_mid_job_leaves_it_to_the_other_which_completes_it_once(topology):
    from redis import Redis
    from rq.job import Job

    # Thousands of distinct lines: long enough to be killed in the middle of.
    lines = [f"- step {n}: the {uuid.uuid4().hex[:8]} feature joins table t{n} on user id" for n in range(2500)]
    document = read_fixture("fraud_metrics.md") + "\n## Pipeline\n" + "\n".join(lines) + "\n"
    answer = httpx.post(f"{topology.apis[0].url}/v1/reviews", json={"document": document, "async": True}, timeout=30)
    job_id = answer.json()["id"]
    redis = Redis.from_url(topology.redis.url)
    deadline = time.monotonic() + 60
    while Job.fetch(job_id, connection=redis).get_status() != "started" and time.monotonic() < deadline:
        time.sleep(0.05)
    holder = Job.fetch(job_id, connection=redis).worker_name
    victim = next(w for w in topology.workers if w.name == holder)
    time.sleep(0.5)
    victim.kill()
    killed_at = time.monotonic()
    try:
        job = wait_done(topology.apis[1].url, f"/v1/jobs/{job_id}", timeout=180)
        assert job["state"] == "done", job
        sha = job["review"]["document"]["sha256"]
        history = httpx.get(f"{topology.apis[1].url}/v1/reviews", params={"document_sha256": sha}, timeout=30)
        assert history.json()["total"] == 1
        assert Job.fetch(job_id, connection=redis).get_status() == "finished"
        print(f"recovered {time.monotonic() - killed_at:.1f} s after the kill")
    finally:
        replacement = WorkerProcess(victim.env, victim.log_path, f"{victim.name}-again").start()
        topology.workers[topology.workers.index(victim)] = replacement
