"""A Slack-triggered review goes through the review service, like a REST one: it is stored, it is
counted in the review metrics, and it is refused when the review slots are full. Over real HTTP,
with the recording stand-in for Slack's Web API (tests/slack_standin.py)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from app.config import get_settings
from app.main import create_app
from helpers import read_fixture
from servers import serve
from slack_standin import BOT_USER_ID, TEAM_ID, block_texts

TOKEN, SECRET = "xoxb-service-token", "service-signing-secret"


def bot_app(settings, standin, tmp_path, **limits):
    return create_app(get_settings(
        store_path=settings.store_path, corpus_dir=settings.corpus_dir, database_url=f"sqlite:///{tmp_path}/reviews.db", rate_limit_per_minute=0,
        slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=f"{standin.url}/api/", **limits))


def post_mention(url: str, channel: str, ts: str, file: dict) -> httpx.Response:
    event = {"type": "app_mention", "user": "U0AUTHOR", "text": f"<@{BOT_USER_ID}> review this", "ts": ts,
             "event_ts": ts, "channel": channel,
             "files": [{"id": file["id"], "name": file["name"], "filetype": file["filetype"]}]}
    body = json.dumps({"token": "unused", "team_id": TEAM_ID, "api_app_id": "A0TEST", "type": "event_callback",
                       "event": event, "event_id": f"Ev{channel}{ts}", "event_time": int(time.time())}).encode()
    stamp = str(int(time.time()))
    headers = {"content-type": "application/json", "X-Slack-Request-Timestamp": stamp,
               "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)}
    return httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=10)


def metric(url: str, name: str) -> float:
    """The sum of a Prometheus counter's samples."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{") or line.startswith(name + " "))


def test_a_slack_review_is_stored_and_counted(settings, ingested, standin, tmp_path):
    text = read_fixture("fraud_metrics.md") + "\nA line that makes this design new to the store.\n"
    channel, ts = "C0STORED", "1700000100.000001"
    file = standin.add_file("stored.md", text, channel)
    with serve(bot_app(settings, standin, tmp_path), healthy=True) as url:
        before = metric(url, "design_review_reviews_total")
        assert post_mention(url, channel, ts, file).status_code == 200
        post = standin.wait_for("chat.postMessage", channel=channel)[0]
        assert "Overall" in block_texts(post.params)
        sha = hashlib.sha256(text.encode()).hexdigest()
        stored = httpx.get(f"{url}/v1/reviews", params={"document_sha256": sha}, timeout=10).json()
        assert stored["total"] == 1
        assert f"Overall {stored['reviews'][0]['overall']['score']:.2f}" in block_texts(post.params)
        assert metric(url, "design_review_reviews_total") == before + 1
        # The same design from REST is the stored review, not a new one.
        again = httpx.post(f"{url}/v1/reviews", json={"document": text}, timeout=30).json()
        assert again["id"] == stored["reviews"][0]["id"] and again["reviewer"]["cached"] is True


def test_a_slack_review_is_refused_when_the_slots_are_full(settings, ingested, standin, tmp_path):
    app = bot_app(settings, standin, tmp_path, max_concurrent_reviews=1, max_queued_reviews=0)
    channel, ts = "C0BUSY", "1700000200.000001"
    file = standin.add_file("busy.md", read_fixture("plain_design.txt"), channel)
    with serve(app, healthy=True) as url:
        slots = app.state.service.slots
        gate, started = threading.Event(), threading.Event()
        holder = threading.Thread(target=lambda: asyncio.run(slots.run(lambda: (started.set(), gate.wait(30)))))
        holder.start()
        try:
            assert started.wait(10)
            rest = httpx.post(f"{url}/v1/reviews", json={"document": read_fixture("plain_design.txt")}, timeout=10)
            assert rest.status_code == 503 and int(rest.headers["retry-after"]) >= 1
            assert post_mention(url, channel, ts, file).status_code == 200
            reply = standin.wait_for("chat.postMessage", channel=channel)[0]
        finally:
            gate.set()
            holder.join(10)
        said = block_texts(reply.params) + reply.params.get("text", "")
        assert "busy" in said and "Retry-After" in said
        standin.wait_for("reactions.add", channel=channel, timestamp=ts, name="warning")
        assert metric(url, "design_review_refused_total") >= 2
