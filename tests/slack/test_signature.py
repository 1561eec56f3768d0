"""/slack/events checks Slack's signature on the raw body before anything parses it: hostile
unsigned bodies get a 401 (never a 500), a signed body that is not a Slack request gets a 400, a
replayed request is acknowledged and not handled again, and a malformed link in a signed command
is refused in words. Over real HTTP with the Slack stand-in."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from app.config import get_settings
from app.main import create_app
from app.slack.signature import SignatureGate
from servers import serve
from slack_standin import TEAM_ID

TOKEN, SECRET = "xoxb-gate-token", "gate-signing-secret"


@pytest.fixture(scope="module")
def gate_url(settings, ingested, standin, tmp_path_factory):
    database = tmp_path_factory.mktemp("gate") / "reviews.db"
    app = create_app(get_settings(
        store_path=settings.store_path, corpus_dir=settings.corpus_dir, database_url=f"sqlite:///{database}", rate_limit_per_minute=0, slack_bot_token=TOKEN,
        slack_signing_secret=SECRET, slack_api_url=f"{standin.url}/api/",
        slack_allowed_hosts=["raw.example.com"]))
    with serve(app, healthy=True) as url:
        yield url


def signed(body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp or str(int(time.time()))
    return {"X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)}


def command(text: str, response_url: str) -> bytes:
    return urlencode({"command": "/design-review", "text": text, "response_url": response_url,
                      "channel_id": "C0GATE", "user_id": "U0AUTHOR", "team_id": TEAM_ID,
                      "trigger_id": "1.2.3", "token": "unused"}).encode()


FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("body,headers", [
    (b"{x", JSON), (b"payload=%7Bnot", FORM), (b"[1, 2, 3]", JSON), (b"\xff\xfe\xfd", JSON),
    (b'{"type": "url_verification", "challenge": "c"}', {**JSON, "X-Slack-Request-Timestamp": "abc",
                                                         "X-Slack-Signature": "v0=00"}),
    (b'{"type": "url_verification", "challenge": "c"}', {**JSON, "X-Slack-Request-Timestamp": "9" * 40}),
])
def test_unsigned_or_malformed_requests_get_401_not_500(gate_url, body, headers):
    response = httpx.post(f"{gate_url}/slack/events", content=body, headers=headers, timeout=10)
    assert response.status_code == 401
    assert "signed by Slack" in response.json()["detail"] or "five minutes" in response.json()["detail"]
    assert httpx.get(f"{gate_url}/healthz", timeout=10).status_code == 200


@pytest.mark.parametrize("body,headers", [(b"{x", JSON), (b"[1, 2, 3]", JSON), (b"payload=%7Bnot", FORM)])
def test_a_signed_body_that_is_not_a_slack_request_is_not_a_500(gate_url, body, headers):
    response = httpx.post(f"{gate_url}/slack/events", content=body, headers={**headers, **signed(body)}, timeout=10)
    assert 400 <= response.status_code < 500


def test_a_replayed_command_is_acknowledged_and_not_answered_again(gate_url, standin):
    body = command("help", standin.response_url_for("replayed"))
    headers = {**FORM, **signed(body)}
    first = httpx.post(f"{gate_url}/slack/events", content=body, headers=headers, timeout=10)
    again = httpx.post(f"{gate_url}/slack/events", content=body, headers=headers, timeout=10)
    assert first.status_code == 200 and "/design-review" in first.json()["text"]
    assert again.status_code == 200 and again.content == b""


@pytest.mark.parametrize("link", ["http://x:abc/design.md", "http://x:99999/design.md", "http://[127.0.0.1]/d.md"])
def test_a_malformed_link_in_a_signed_command_is_refused_in_words(gate_url, standin, link):
    body = command(link, standin.response_url_for("malformed"))
    response = httpx.post(f"{gate_url}/slack/events", content=body, headers={**FORM, **signed(body)}, timeout=10)
    assert response.status_code == 200
    assert "allow-listed hosts" in response.json()["text"]


def test_the_gate_refuses_a_stale_or_forged_request_and_accepts_slacks():
    gate = SignatureGate(SECRET)
    body = b"token=x&command=%2Fdesign-review"
    now = time.time()
    assert gate.refusal(_lower(signed(body, str(int(now)))), body, now) is None
    assert "five minutes" in gate.refusal(_lower(signed(body, str(int(now) - 400))), body, now)
    assert "does not match" in gate.refusal(_lower(signed(body + b"x", str(int(now)))), body, now)
    headers = _lower(signed(body, str(int(now))))
    assert gate.first_time(headers) and not gate.first_time(headers)


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}
