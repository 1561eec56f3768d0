"""X-Forwarded-For counts only from the proxies named in DESIGN_REVIEW_FORWARDED_ALLOW_IPS: from
anywhere else a client cannot choose the address its rate limit counts. `design-review serve`, a
real server process."""

from __future__ import annotations

import sys

import httpx

from servers import ProcessServer, process_env


def statuses(url: str, n: int) -> list[int]:
    return [httpx.get(f"{url}/v1/rubric", headers={"X-Forwarded-For": f"203.0.113.{k}"}, timeout=30).status_code
            for k in range(n)]


def serve_with(settings, tmp_path, **variables) -> ProcessServer:
    env = process_env(settings, rate_limit_per_minute=1, rate_limit_burst=2, **variables)
    command = [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1"]
    return ProcessServer(env, tmp_path / "serve.log", command).start()


def test_forwarded_addresses_from_a_local_client_do_not_escape_the_rate_limit(settings, ingested, tmp_path):
    server = serve_with(settings, tmp_path)
    try:
        got = statuses(server.url, 4)
    finally:
        server.stop()
    assert got[:2] == [200, 200] and 429 in got[2:], got


def test_a_named_proxy_is_believed(settings, ingested, tmp_path):
    server = serve_with(settings, tmp_path, forwarded_allow_ips="127.0.0.1")
    try:
        got = statuses(server.url, 4)
    finally:
        server.stop()
    assert got == [200, 200, 200, 200], got
