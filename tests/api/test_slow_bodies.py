"""Slow bodies on the route that answers anyone (/slack/events) cannot starve the API: that route
has an in-flight budget of its own, and a body that does not arrive in time gets a 408. A real
server over real sockets."""

from __future__ import annotations

import socket
import time

import httpx

from app.config import get_settings
from servers import app_server

KEY = "slow-body-test-key"


def open_slow_request(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\n\r\n{")
    return sock


def test_slow_slack_bodies_neither_starve_the_api_nor_hold_on_forever(settings, ingested, tmp_path):
    with app_server(get_settings(
            store_path=settings.store_path, corpus_dir=settings.corpus_dir, database_url=f"sqlite:///{tmp_path}/r.db", api_keys=KEY, rate_limit_per_minute=0,
            max_in_flight_requests=8, body_timeout_s=3, slack_bot_token="xoxb-slow",
            slack_signing_secret="slow-secret")) as url:
        slow = [open_slow_request(url) for _ in range(16)]
        try:
            time.sleep(0.5)
            started = time.monotonic()
            rubric = httpx.get(f"{url}/v1/rubric", headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
            assert rubric.status_code == 200 and time.monotonic() - started < 2
            answers = []
            for sock in slow:
                sock.settimeout(15)
                answers.append(sock.recv(200).split(b"\r\n", 1)[0])
            assert set(answers) <= {b"HTTP/1.1 408 Request Timeout", b"HTTP/1.1 503 Service Unavailable"}, answers
            assert b"HTTP/1.1 408 Request Timeout" in answers
        finally:
            for sock in slow:
                sock.close()
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
