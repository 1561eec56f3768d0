"""Load on the REST API over loopback: 50 clients for 60 s, then a burst of 200 clients for 20 s.

Starts `uvicorn app.api.app:app` (one process, the embedded default, a temp review database, API
keys on) and drives it with asyncio clients in a bounded loop. The document mix, by default:
repeated ~2,000-word designs (a pool warmed before the clock starts, as in a steady state where CI
re-reviews unchanged designs), designs with one section edited, and unseen designs (every line
new). A client honours Retry-After on 429/503 and retries (up to --retries times); the script
prints first-try status counts, final outcomes, throughput and latency percentiles of the first
try and end to end (retry waits included), latency per kind of document, the CPU time of the
server and of the clients, and after the burst a health check and one review.

Each of the 50 clients pauses between its requests (1 s on average, uniform from 0.5x to 1.5x;
--think), as a person or a CI job does: 50 clients then ask for about 45 reviews a second, under
what the two cores can serve, and 200 clients (the burst, which does not pause) ask for more.
Clients that never pause saturate the machine whatever their number: the throughput is then the
ceiling and, by Little's law, the mean latency is clients / throughput. `--saturate` adds that run
(the same 50 clients with no pause) and prints its figures.

Usage: python bench/load.py [--clients 50 --duration 60 --think 1] [--saturate]
       [--burst-clients 200 --burst-duration 20] [--unseen 0.01 --edited 0.04]
       [--skip-burst | --burst-only]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from labels import ROOT
from speed import EDIT_AT, design, free_port, marker, pct


class Documents:
    """The mix: repeated designs from a pool, edited ones (one new line), unseen ones."""

    def __init__(self, pool: int, unseen: float, edited: float, seed: int) -> None:
        self.pool = [design(marker(10_000 + k)) for k in range(pool)]
        self.unseen, self.edited = unseen, edited
        self.rng = random.Random(seed)
        self.counter = 0

    def next(self) -> tuple[str, str]:
        self.counter += 1
        roll = self.rng.random()
        if roll < self.unseen:
            return "unseen", design(marker(50_000 + self.counter) + secrets.token_hex(3))
        base = self.rng.choice(self.pool)
        if roll < self.unseen + self.edited:
            return "edited", base.replace(EDIT_AT, f"{EDIT_AT}\n- note {secrets.token_hex(4)}: "
                                                   "we log features at serving time.\n")
        return "repeated", base


class Tally:
    def __init__(self) -> None:
        self.first = Counter()       # status of each request's first try
        self.attempts = Counter()    # status of every try
        self.final = Counter()       # the outcome after retries
        self.first_latency: list[float] = []
        self.by_kind: dict[str, list[float]] = {}   # first-try latency of 200s, by document kind
        self.ok_latency: list[float] = []   # end to end, successful requests
        self.kinds = Counter()
        self.errors: list[str] = []
        self.cpu = (0.0, 0.0)                # CPU seconds: server, these clients


async def client_loop(url: str, key: str, docs: Documents, tally: Tally, stop: float,
                      retries: int, think: float, rng: random.Random) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        if think:  # clients start at random points of their cycle, not all at once
            await asyncio.sleep(rng.uniform(0, think))
        while time.monotonic() < stop:
            kind, text = docs.next()
            tally.kinds[kind] += 1
            started = time.perf_counter()
            outcome = None
            for attempt in range(retries + 1):
                t0 = time.perf_counter()
                try:
                    response = await http.post("/v1/reviews", json={"document": text})
                    status = response.status_code
                except httpx.HTTPError as exc:
                    status, response = f"transport:{type(exc).__name__}", None
                tally.attempts[status] += 1
                if attempt == 0:
                    tally.first[status] += 1
                    latency = time.perf_counter() - t0
                    tally.first_latency.append(latency)
                    if status == 200:
                        tally.by_kind.setdefault(kind, []).append(latency)
                retry_after = response.headers.get("retry-after") if response is not None else None
                if status in (429, 503) and retry_after and attempt < retries:
                    await asyncio.sleep(min(float(retry_after), 10.0))
                    continue
                outcome = status
                break
            tally.final[outcome] += 1
            if outcome == 200:
                tally.ok_latency.append(time.perf_counter() - started)
            else:
                tally.errors.append(f"{kind}: {outcome}")
            if think:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live children (the embedding process),
    from /proc (Linux)."""
    total = 0.0
    for proc in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
        for kid in kids:
            found += [kid, *_children(kid)]
    return found


async def run_phase(url: str, keys: list[str], clients: int, seconds: float, docs: Documents,
                    retries: int, server_pid: int, think: float = 0.0) -> tuple[Tally, float]:
    tally = Tally()
    stop = time.monotonic() + seconds
    started = time.perf_counter()
    server0, client0 = cpu_seconds(server_pid), time.process_time()
    rng = random.Random(len(keys) * 7919 + clients)
    await asyncio.gather(*(client_loop(url, keys[n % len(keys)], docs, tally, stop, retries, think, rng)
                           for n in range(clients)))
    elapsed = time.perf_counter() - started
    tally.cpu = (cpu_seconds(server_pid) - server0, time.process_time() - client0)
    return tally, elapsed


def report(name: str, tally: Tally, elapsed: float) -> bool:
    ok = tally.final.get(200, 0)
    total = sum(tally.final.values())
    errors = total - ok
    print(f"\n== {name} ==")
    print(f"requests: {total} ({dict(tally.kinds)}), wall {elapsed:.1f} s, "
          f"throughput {ok / elapsed:.1f} reviews/s answered 200")
    print(f"first try, by status: {dict(sorted(tally.first.items(), key=str))}")
    print(f"every try, by status: {dict(sorted(tally.attempts.items(), key=str))}")
    print(f"final outcome:        {dict(sorted(tally.final.items(), key=str))}  -> errors: {errors}")
    f, e = tally.first_latency, tally.ok_latency
    print(f"first-try latency  p50 {pct(f, .5)*1000:7.1f} ms  p95 {pct(f, .95)*1000:7.1f} ms  "
          f"p99 {pct(f, .99)*1000:7.1f} ms  max {max(f)*1000 if f else 0:7.1f} ms")
    print(f"end-to-end (200s)  p50 {pct(e, .5)*1000:7.1f} ms  p95 {pct(e, .95)*1000:7.1f} ms  "
          f"p99 {pct(e, .99)*1000:7.1f} ms  max {max(e)*1000 if e else 0:7.1f} ms")
    for kind, samples in sorted(tally.by_kind.items()):
        print(f"  {kind:9} (200, first try) p50 {pct(samples, .5)*1000:7.1f} ms  p90 "
              f"{pct(samples, .9)*1000:7.1f} ms  max {max(samples)*1000:7.1f} ms  (n={len(samples)})")
    server, clients = tally.cpu
    print(f"CPU: server and its embedding process {server:.1f} s ({server / elapsed:.2f} cores), clients {clients:.1f} s "
          f"({clients / elapsed:.2f} cores); {os.cpu_count()} cores on this machine")
    if tally.errors:
        print(f"first errors: {tally.errors[:5]}")
    return errors == 0


def start_server(folder: Path, keys: list[str], extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESIGN_REVIEW_")}
    for name in ("STORE_PATH", "CORPUS_DIR"):
        if os.environ.get(f"DESIGN_REVIEW_{name}"):
            env[f"DESIGN_REVIEW_{name}"] = os.environ[f"DESIGN_REVIEW_{name}"]
    env.update(DESIGN_REVIEW_DATABASE_URL=f"sqlite:///{folder}/reviews.db",
               DESIGN_REVIEW_API_KEYS=",".join(keys), **extra)
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
                             "--port", str(port), "--no-access-log", "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            sys.exit(f"the server exited; see {folder}/server.log")
        time.sleep(0.2)
    proc.kill()
    sys.exit("the server never became healthy")


async def warm(url: str, key: str, docs: Documents) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"},
                                 timeout=120) as http:
        for text in docs.pool:
            response = await http.post("/v1/reviews", json={"document": text})
            if response.status_code != 200:
                sys.exit(f"warm-up review answered {response.status_code}: {response.text[:300]}")
    return time.perf_counter() - started


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--burst-clients", type=int, default=200)
    p.add_argument("--burst-duration", type=float, default=20)
    p.add_argument("--burst-keys", type=int, default=4, help="keys the burst clients share")
    p.add_argument("--pool", type=int, default=20, help="repeated designs, stored before the clock starts")
    p.add_argument("--unseen", type=float, default=0.01)
    p.add_argument("--edited", type=float, default=0.04)
    p.add_argument("--retries", type=int, default=5)
    p.add_argument("--think", type=float, default=1.0,
                   help="mean pause of a client between its requests, s (uniform, 0.5x to 1.5x)")
    p.add_argument("--saturate", action="store_true",
                   help="also run the clients with no pause: the throughput ceiling and its latency")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="a server setting, e.g. --set MAX_CONCURRENT_REVIEWS=1 (DESIGN_REVIEW_ is added)")
    p.add_argument("--skip-burst", action="store_true")
    p.add_argument("--burst-only", action="store_true")
    args = p.parse_args()
    keys = [f"load-{n}-{secrets.token_hex(8)}" for n in range(max(args.clients, args.burst_keys))]
    docs = Documents(args.pool, args.unseen, args.edited, args.seed)
    print(f"mix: {args.pool} repeated ~{len(docs.pool[0].split())}-word designs (stored before the clock "
          f"starts), {args.edited:.0%} edited (one new line), {args.unseen:.0%} unseen; one key per "
          f"client; Retry-After honoured, up to {args.retries} retries; server on 2 cores, this "
          "client on the same machine")
    ok = True
    with tempfile.TemporaryDirectory(prefix="design-review-load-") as tmp:
        folder = Path(tmp)
        extra = {f"DESIGN_REVIEW_{k.upper()}": v for k, v in (item.split("=", 1) for item in args.set)}
        if extra:
            print(f"server settings: {extra}")
        proc, url = start_server(folder, keys, extra)
        try:
            print(f"warm-up: {len(docs.pool)} designs reviewed and stored in {asyncio.run(warm(url, keys[0], docs)):.1f} s")
            if not args.burst_only:
                tally, elapsed = asyncio.run(run_phase(url, keys[:args.clients], args.clients,
                                                       args.duration, docs, args.retries, proc.pid,
                                                       args.think))
                ok &= report(f"{args.clients} clients for {args.duration:g} s, pausing "
                             f"{args.think:g} s on average between requests", tally, elapsed)
                p99 = pct(tally.ok_latency, .99)
                print(f"target: 0 errors, p99 <= 1 s -> {'met' if ok and p99 <= 1.0 else 'NOT met'}")
            if args.saturate:
                tally, elapsed = asyncio.run(run_phase(url, keys[:args.clients], args.clients,
                                                       args.duration, docs, args.retries, proc.pid))
                report(f"saturation: {args.clients} clients for {args.duration:g} s with no pause",
                       tally, elapsed)
            if not args.skip_burst:
                tally, elapsed = asyncio.run(run_phase(url, keys[:args.burst_keys], args.burst_clients,
                                                       args.burst_duration, docs, 0, proc.pid))
                report(f"burst: {args.burst_clients} clients on {args.burst_keys} keys for "
                       f"{args.burst_duration:g} s, no retries", tally, elapsed)
                shed = tally.first.get(429, 0) + tally.first.get(503, 0)
                other = {s: n for s, n in tally.first.items() if s not in (200, 429, 503)}
                time.sleep(2)
                health = httpx.get(f"{url}/healthz", timeout=10).status_code
                after = httpx.post(f"{url}/v1/reviews", json={"document": design(marker(99_999))},
                                   headers={"Authorization": f"Bearer {keys[-1]}"}, timeout=60)
                print(f"shed with 429/503: {shed}; other failures: {other or 0}; server process alive: "
                      f"{proc.poll() is None}; /healthz after the burst: {health}; an unseen review "
                      f"after it: {after.status_code} in {after.elapsed.total_seconds()*1000:.0f} ms")
                ok &= proc.poll() is None and health == 200 and after.status_code == 200 and not other
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
