"""Two API replicas over one Redis, one PostgreSQL and one Chroma server (tests/topology.py):
what one replica stored or answered, the other knows."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from slack_sdk.signature import SignatureVerifier

from helpers import read_fixture
from slack_standin import BOT_USER_ID, TEAM_ID
from topology import SLACK_SECRET


def unique(name: str) -> str:
    """A fixture design made new for this test (never stored before)."""
    return read_fixture(name) + f"\n\nRevision {uuid.uuid4().hex}.\n"


def test_a_review_stored_through_one_replica_is_read_through_the_other(topology):
    a, b = topology.apis
    review = httpx.post(f"{a.url}/v1/reviews", json={"document": unique("fraud_metrics.md")}, timeout=120)
    assert review.status_code == 200 and "x-review-stored" not in review.headers
    body = review.json()
    again = httpx.get(f"{b.url}/v1/reviews/{body['id']}", timeout=30)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    history = httpx.get(f"{b.url}/v1/reviews", params={"document_sha256": body["document"]["sha256"]}, timeout=30)
    assert history.json()["total"] == 1


def test_eight_identical_submissions_split_across_replicas_are_scored_once(topology):
    document = unique("week_split.md")
    urls = [topology.apis[n % 2].url for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda url: httpx.post(f"{url}/v1/reviews", json={"document": document},
                                                       timeout=120), urls))
    assert [a.status_code for a in answers] == [200] * 8
    scored = [a.json() for a in answers if not a.json()["reviewer"]["cached"]]
    assert len(scored) == 1, [a.json()["reviewer"]["cached"] for a in answers]
    sha = scored[0]["document"]["sha256"]
    history = httpx.get(f"{topology.apis[1].url}/v1/reviews", params={"document_sha256": sha}, timeout=30)
    assert history.json()["total"] == 1


def _post_event(url: str, event: dict, event_id: str, **headers: str) -> httpx.Response:
    body = json.dumps({"token": "unused", "team_id": TEAM_ID, "api_app_id": "A0TEST", "type": "event_callback",
                       "event": event, "event_id": event_id, "event_time": int(time.time())}).encode()
    ts = str(int(time.time()))
    signature = SignatureVerifier(SLACK_SECRET).generate_signature(timestamp=ts, body=body)
    return httpx.post(f"{url}/slack/events", content=body, timeout=10, headers={
        "content-type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
        **headers})


def test_a_slack_retry_delivered_to_the_other_replica_is_not_answered_again(topology):
    a, b = topology.apis
    standin = topology.standin
    channel, ts, event_id = "C0REPLICA", "1700000001.000001", f"Ev{uuid.uuid4().hex[:10]}"
    file = standin.add_file("replica.md", unique("scaler_leak.md"), channel)
    event = {"type": "app_mention", "user": "U0AUTHOR", "text": f"<@{BOT_USER_ID}> review this",
             "ts": ts, "event_ts": ts, "channel": channel,
             "files": [{"id": file["id"], "name": file["name"], "filetype": file["filetype"]}]}
    assert _post_event(a.url, event, event_id).status_code == 200
    standin.wait_for("chat.postMessage", channel=channel, timeout=120)
    time.sleep(1.1)  # a new second: Slack's retry carries a new timestamp and signature
    retry = _post_event(b.url, event, event_id, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200
    time.sleep(1.5)
    assert len(standin.calls_of("chat.postMessage", channel=channel)) == 1
    assert len(standin.calls_of("files.info", file=file["id"])) == 1
