"""Replicas and review jobs over loopback: the topology of deploy/compose.yaml as processes.

Starts Redis (Debian's redis-server), a private PostgreSQL, `chroma run`, two API replicas and two
workers (tests/topology.py), then prints:
- throughput and p50/p99 of the bench/load.py mix (repeated, edited, unseen designs) through one
  replica, then through two (on 2 cores both share the CPUs: this shows the cost, not a speed-up);
- the shared state's cost per request: Redis commands per request, their time in Redis, and the
  round trip seen from a client on this machine;
- job latency of a queued local review, submit to done, beyond the review itself (p50, p90);
- the recovery after a worker is killed (SIGKILL) mid-job: kill to done.

Usage: python bench/replicas.py [--clients 8 --duration 20 --jobs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from load import Documents  # noqa: E402
from speed import pct  # noqa: E402
from topology import Topology  # noqa: E402

from app.config import get_settings  # noqa: E402


async def drive(urls: list[str], clients: int, seconds: float, docs: Documents) -> dict:
    """Clients without pauses, spread over the URLs; latencies of 200s and the count."""
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def client(url: str) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            while time.monotonic() < stop:
                _, text = docs.next()
                t0 = time.perf_counter()
                response = await http.post("/v1/reviews", json={"document": text})
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - t0)
                elif response.status_code in (429, 503):
                    await asyncio.sleep(float(response.headers.get("retry-after", "1")))

    started = time.perf_counter()
    await asyncio.gather(*(client(urls[n % len(urls)]) for n in range(clients)))
    return {"n": len(latencies), "elapsed": time.perf_counter() - started, "lat": latencies}


def redis_stats(client) -> tuple[int, int]:
    """Commands served by Redis so far and their time (µs), INFO commandstats."""
    stats = client.info("commandstats")
    return (sum(v["calls"] for v in stats.values()), sum(v["usec"] for v in stats.values()))


def mix_figures(top: Topology, args, docs: Documents) -> None:
    import redis
    client = redis.Redis.from_url(top.redis.url)
    for label, urls in (("one replica", [top.apis[0].url]), ("two replicas", [a.url for a in top.apis])):
        calls0, usec0 = redis_stats(client)
        run = asyncio.run(drive(urls, args.clients, args.duration, docs))
        calls1, usec1 = redis_stats(client)
        lat = run["lat"]
        per = (calls1 - calls0) / max(1, run["n"])
        print(f"{label:13}: {run['n'] / run['elapsed']:6.1f} reviews/s  p50 {pct(lat, .5) * 1000:6.1f} ms  "
              f"p99 {pct(lat, .99) * 1000:6.1f} ms  (n={run['n']}, {args.clients} clients, no pauses); "
              f"Redis: {per:.1f} commands/request, {(usec1 - usec0) / max(1, calls1 - calls0):.1f} µs each in Redis")
    rtts = []
    for _ in range(500):
        t0 = time.perf_counter()
        client.ping()
        rtts.append(time.perf_counter() - t0)
    print(f"Redis round trip from a client here: p50 {pct(rtts, .5) * 1e6:.0f} µs, p99 {pct(rtts, .99) * 1e6:.0f} µs")


def job_figures(top: Topology, args) -> None:
    url = top.apis[0].url
    beyond, total = [], []
    with httpx.Client(base_url=url, timeout=60) as http:
        base = (Path(__file__).resolve().parent.parent / "tests/fixtures/fraud_metrics.md").read_text()
        http.post("/v1/reviews", json={"document": base})  # the design's windows embedded once
        for n in range(args.jobs):
            text = base + f"\n- note {uuid.uuid4().hex}: an edited line.\n"
            t0 = time.perf_counter()
            job = http.post("/v1/reviews", json={"document": text}, headers={"Prefer": "respond-async"}).json()
            while (view := http.get(job["url"]).json())["state"] not in ("done", "failed"):
                time.sleep(0.005)
            took = time.perf_counter() - t0
            total.append(took)
            beyond.append(took - view["review"]["reviewer"]["elapsed_ms"] / 1000)
    print(f"queued local review (edited design), submit to done: p50 {pct(total, .5) * 1000:.0f} ms; "
          f"beyond the review itself p50 {pct(beyond, .5) * 1000:.0f} ms, p90 {pct(beyond, .9) * 1000:.0f} ms "
          f"(n={len(beyond)}, polling every 5 ms)")


def recovery_figure(top: Topology) -> None:
    from redis import Redis
    from rq.job import Job

    lines = [f"- step {n}: the {uuid.uuid4().hex[:8]} feature joins table t{n} on user id" for n in range(2500)]
    url = top.apis[0].url
    job = httpx.post(f"{url}/v1/reviews", json={"document": "# Pipeline\n" + "\n".join(lines), "async": True},
                     timeout=30).json()
    redis = Redis.from_url(top.redis.url)
    while Job.fetch(job["id"], connection=redis).get_status() != "started":
        time.sleep(0.02)
    holder = Job.fetch(job["id"], connection=redis).worker_name
    victim = next(w for w in top.workers if w.name == holder)
    time.sleep(0.5)
    victim.kill()
    killed = time.perf_counter()
    while (view := httpx.get(f"{url}{job['url']}", timeout=30).json())["state"] not in ("done", "failed"):
        time.sleep(0.05)
    took = time.perf_counter() - killed
    review_s = view["review"]["reviewer"]["elapsed_ms"] / 1000 if view["state"] == "done" else float("nan")
    print(f"worker killed mid-job: {view['state']} {took:.1f} s after the kill, of which the review itself "
          f"{review_s:.1f} s (lease {top.env['DESIGN_REVIEW_JOB_LEASE_S']} s, then an identical review's "
          "claim lapses in at most 10 s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--jobs", type=int, default=30)
    parser.add_argument("--pool", type=int, default=8)
    args = parser.parse_args()
    settings = get_settings()
    top = Topology(settings, Path(tempfile.mkdtemp(prefix="design-review-replicas-")))
    started = time.perf_counter()
    try:
        top.start()
        print(f"topology up in {time.perf_counter() - started:.0f} s: Redis, PostgreSQL, Chroma server, "
              f"2 APIs, 2 workers; logs in {top.log_dir}")
        docs = Documents(args.pool, unseen=0.01, edited=0.04, seed=7)
        for text in docs.pool:  # the steady state: the repeated designs stored once
            httpx.post(f"{top.apis[0].url}/v1/reviews", json={"document": text}, timeout=120)
        mix_figures(top, args, docs)
        job_figures(top, args)
        recovery_figure(top)
    finally:
        top.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
