"""Latency of a local review, in-process and over HTTP, plus start-up and ingest times.

Prints p50/p95 for a ~2,000-word design: (a) unseen, (b) the same again, (c) one section edited;
reviews per second with 4 concurrent HTTP clients; time until /healthz is ready; full and
unchanged ingest into a fresh store. Usage: python bench/speed.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from functools import cache
from pathlib import Path

import httpx
from labels import ROOT

from app.config import get_settings
from app.knowledge.corpus import read_corpus
from app.review.build import build_reviewer, ingest


@cache
def _stage_files() -> tuple:
    return tuple(f for f in read_corpus(ROOT / "corpus") if f.meta.get("kind") == "stage")


def design(run: str) -> str:
    """A ~2,000-word design assembled from the corpus examples; `run` (one word) makes every line new."""
    lines, words = ["# Design under test", ""], 4
    for f in _stage_files():
        lines += ["", f"## {f.meta['title']}", ""]
        for item in f.meta["items"]:
            for anchor in item.get("anchors", [])[:3]:
                if words >= 2000:
                    return "\n".join(lines) + "\n"
                line = f"- {anchor} {run}"
                lines.append(line)
                words += len(line.split())
    return "\n".join(lines) + "\n"


EDIT_AT = "## Problem formulation\n"


def pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def show(label: str, samples: list[float]) -> None:
    print(f"  {label:38} p50 {pct(samples, .5) * 1000:7.1f} ms   p95 {pct(samples, .95) * 1000:7.1f} ms"
          f"   (n={len(samples)})")


MARKERS = ("amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo",
           "juniper", "kelp", "lagoon", "maple", "nectar", "onyx", "pebble", "quartz", "raven",
           "sierra", "tundra", "umber", "violet", "willow", "xenon", "yarrow", "zephyr")


def marker(k: int) -> str:
    """A different short word for every run, so each run's lines are new to the caches."""
    n = len(MARKERS)
    return f"{MARKERS[k % n]}{MARKERS[(k // n) % n]}{MARKERS[(k // n // n) % n]}"


def measure(call, runs: int, offset: int = 0) -> dict[str, list[float]]:
    """Time call(text) for unseen, repeated and edited documents."""
    out = {"a": [], "b": [], "c": []}
    for k in range(offset, offset + runs):
        base = design(marker(k))
        edited = base.replace(EDIT_AT, f"{EDIT_AT}\n- edited note {k}: we log features at serving time.\n")
        assert edited != base
        for key, text in (("a", base), ("b", base), ("c", edited)):
            started = time.perf_counter()
            call(text)
            out[key].append(time.perf_counter() - started)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port),
                             "--log-level", "warning"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # request logs
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - started < 120:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("server did not become ready in 120 s")


def throughput(url: str, seconds: float = 15.0, clients: int = 4) -> tuple[float, int]:
    done, errors, stop = [], [], time.perf_counter() + seconds

    def worker(n: int) -> None:
        with httpx.Client(timeout=60) as client:
            k = 0
            while time.perf_counter() < stop:
                text = design(marker(5000 + 1000 * n + k))
                r = client.post(f"{url}/v1/reviews", json={"document": text})
                (done if r.status_code == 200 else errors).append(1)
                k += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(done) / seconds, len(errors)


def time_ingest() -> None:
    """A full ingest into a new store, then an unchanged one."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = get_settings(store_path=Path(tmp) / "chroma")
        started = time.perf_counter()
        ingest(fresh, progress=False)
        full = time.perf_counter() - started
        started = time.perf_counter()
        report = ingest(fresh, progress=False)
        again = time.perf_counter() - started
    print(f"ingest: full {full:.2f} s, unchanged {again:.2f} s ({report.unchanged} chunks unchanged)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--no-ingest", action="store_true", help="skip the ingest timings")
    parser.add_argument("--no-throughput", action="store_true", help="skip the 4-client figure")
    args = parser.parse_args()
    settings = get_settings()
    print(f"design: {len(design('x').split())} words")
    if not args.no_ingest:
        time_ingest()

    reviewer = build_reviewer(settings)
    print(f"\nin-process ({reviewer.embedder.name})")
    timings = measure(lambda text: reviewer.review(text), args.runs)
    for key, label in (("a", "(a) unseen document"), ("b", "(b) same document again"),
                       ("c", "(c) one section edited")):
        show(label, timings[key])

    database = tempfile.TemporaryDirectory()  # a new review database: no design was stored before
    env = {**os.environ, "DESIGN_REVIEW_STORE_PATH": str(settings.store_path.resolve()),
           "DESIGN_REVIEW_DATABASE_URL": f"sqlite:///{database.name}/reviews.db",
           "DESIGN_REVIEW_RATE_LIMIT_PER_MINUTE": "0"}
    proc, url, ready = start_server(env)
    try:
        print(f"\nHTTP (uvicorn, 1 worker): ready in {ready:.2f} s")
        with httpx.Client(timeout=60) as client:
            timings = measure(lambda text: client.post(f"{url}/v1/reviews", json={"document": text})
                              .raise_for_status(), args.runs, offset=args.runs)
        for key, label in (("a", "(a) unseen document"), ("b", "(b) same document again"),
                           ("c", "(c) one section edited")):
            show(label, timings[key])
        if not args.no_throughput:
            rate, errors = throughput(url)
            print(f"  4 concurrent clients, unseen documents: {rate:.2f} reviews/s, {errors} errors")
    finally:
        proc.terminate()
        proc.wait(10)
        database.cleanup()


if __name__ == "__main__":
    main()
