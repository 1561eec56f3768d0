"""Fuzz the REST API with schemathesis against its own OpenAPI schema, auth on.

Starts `uvicorn app.api.app:app` on a free loopback port (a temp review database, one API key, the
Slack route configured with a throwaway signing secret so that it answers as in production, no
rate limit so that the fuzzer is not throttled), runs `st run` over every operation, then reads the
server's own /metrics for the number of requests it answered by status. Prints the counts; exits
non-zero on any 5xx or any check failure. Needs an ingested store (`design-review ingest`).

Usage: python bench/fuzz_api.py [--max-examples 300] [--min-requests 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
from labels import ROOT
from speed import free_port

CONFIG = Path(__file__).with_name("schemathesis.toml")  # what a design's content must be: a 422 is an answer


def start_server(folder: Path, key: str, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DESIGN_REVIEW_", "SLACK_"))}
    env.update(DESIGN_REVIEW_DATABASE_URL=f"sqlite:///{folder}/reviews.db", DESIGN_REVIEW_API_KEYS=key,
               DESIGN_REVIEW_RATE_LIMIT_PER_MINUTE="0", DESIGN_REVIEW_LOG_FORMAT="json",
               SLACK_BOT_TOKEN="xoxb-fuzz", SLACK_SIGNING_SECRET=secrets.token_hex(16),
               SLACK_API_URL="http://127.0.0.1:9/api/")
    for name in ("STORE_PATH", "CORPUS_DIR"):
        if os.environ.get(f"DESIGN_REVIEW_{name}"):
            env[f"DESIGN_REVIEW_{name}"] = os.environ[f"DESIGN_REVIEW_{name}"]
    log = open(folder / "server.log", "wb")
    return subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
                             "--port", str(port), "--no-access-log"], cwd=ROOT, env=env,
                            stdout=log, stderr=log)


def wait_ready(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("the server exited while starting")
        try:
            health = httpx.get(f"{url}/healthz", timeout=5)
            if health.status_code == 200:
                return
            if health.json().get("status") == "error":
                sys.exit(f"the reviewer failed to start: {health.json().get('error')}")
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit("the server never became healthy")


def served(url: str, key: str) -> Counter:
    """Requests the server answered, by status, from its own metrics."""
    text = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {key}"}, timeout=30).text
    counts: Counter = Counter()
    for match in re.finditer(r'^design_review_http_requests_total\{(.*?)\} (\S+)$', text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        counts[(labels["method"], labels["route"], int(labels["status"]))] += int(float(match.group(2)))
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=300, help="per operation and phase")
    parser.add_argument("--min-requests", type=int, default=2000, help="fail when fewer were sent")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checks", default="all")
    args = parser.parse_args()
    key = "fuzz-" + secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="design-review-fuzz-") as tmp:
        folder = Path(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = start_server(folder, key, port)
        try:
            wait_ready(url, proc)
            before = served(url, key)  # the start-up health polls and this call are not the fuzzer's
            started = time.monotonic()
            st = subprocess.run(
                [str(Path(sys.executable).with_name("st")), "--config-file", str(CONFIG), "run", f"{url}/openapi.json",
                 "--header", f"Authorization: Bearer {key}", "--checks", args.checks,
                 "--max-examples", str(args.max_examples), "--seed", str(args.seed),
                 "--request-timeout", "60", "--report", "json", "--report-dir", str(folder),
                 "--no-color", "--warnings", "off", "--suppress-health-check", "all"],
                cwd=folder, capture_output=True, text=True)
            seconds = time.monotonic() - started
            counts = served(url, key) - before
            alive = proc.poll() is None and httpx.get(f"{url}/healthz", timeout=10).status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        summary = st.stdout[st.stdout.rfind("SUMMARY"):] if "SUMMARY" in st.stdout else st.stdout[-3000:]
        print(summary.strip())
        report = next(folder.glob("*.json"), None)
        failures = _failures(report) if report else None
        server_errors = [line for line in (folder / "server.log").read_text(errors="replace").splitlines()
                         if '"level": "error"' in line]
    total = sum(counts.values())
    by_status = Counter()
    for (_, _, status), n in counts.items():
        by_status[status] += n
    fivexx = sum(n for s, n in by_status.items() if s >= 500)
    print("\n== fuzz_api ==")
    print(f"requests answered by the server: {total} in {seconds:.0f} s "
          f"(schemathesis {_version()}, --max-examples {args.max_examples}, seed {args.seed}, checks {args.checks})")
    print("by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(by_status.items())))
    routes = Counter()
    for (method, route, _), n in counts.items():
        routes[f"{method} {route}"] += n
    print("by route: " + ", ".join(f"{r}: {n}" for r, n in sorted(routes.items())))
    print(f"server errors (5xx): {fivexx}; error log lines: {len(server_errors)}")
    for (method, route, status), n in sorted(counts.items()):
        if status >= 500:
            print(f"  {status} {method} {route}: {n}")
    print(f"schemathesis check failures: {failures if failures is not None else 'n/a'} (exit code {st.returncode})")
    print(f"server alive and healthy after the run: {alive}")
    ok = fivexx == 0 and st.returncode == 0 and alive and total >= args.min_requests
    if total < args.min_requests:
        print(f"FAIL: fewer than {args.min_requests} requests")
    if not ok and st.returncode != 0:
        print(st.stdout[-6000:])
    return 0 if ok else 1


def _failures(report: Path):
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        return None
    found = _find_key(data, "failures")
    return len(found) if isinstance(found, list) else found


def _find_key(data, key):
    if isinstance(data, dict):
        if key in data:
            return data[key]
        for value in data.values():
            got = _find_key(value, key)
            if got is not None:
                return got
    return None


def _version() -> str:
    from importlib.metadata import version
    return version("schemathesis")


if __name__ == "__main__":
    sys.exit(main())
