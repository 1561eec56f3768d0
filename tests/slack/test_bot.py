"""The Slack bot (app/slack/bot.py, socket_mode.py) over real HTTP: the app on uvicorn with Slack
configured, signed requests, and a recording stand-in for Slack's Web API and Socket Mode
(tests/slack_standin.py). Nothing reaches the real Slack.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import threading
import time
from urllib.parse import urlencode

import httpx
import pytest
import yaml
from slack_sdk.signature import SignatureVerifier

from app.config import get_settings
from app.main import create_app
from app.slack import EVENTS_PATH
from app.review.model import SEVERITY_RANK
from app.slack.blocks import TOP_GAPS, top_gaps
from app.slack.bot import COMMAND
from app.slack.socket_mode import serve as serve_socket_mode
from helpers import REPO, cli_command, read_fixture
from servers import app_server, serve
from slack_standin import BOT_ID, BOT_USER_ID, TEAM_ID, block_texts, limit_problems

TOKEN, SECRET = "xoxb-test-token", "test-signing-secret"
_ids = itertools.count(1)


def next_ts() -> str:
    return f"1700000000.{next(_ids):06d}"


@pytest.fixture(scope="module")
def slack_url(settings, ingested, standin):
    """The real app with the Slack bot configured against the stand-in, ready once /healthz is 200."""
    with app_server(get_settings(
            store_path=settings.store_path, corpus_dir=settings.corpus_dir, slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=f"{standin.url}/api/",
            slack_allowed_hosts=[standin.url.removeprefix("http://")])) as url:
        yield url


def signed(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's signature headers: v0=HMAC-SHA256(secret, 'v0:<timestamp>:<body>')."""
    ts = str(timestamp if timestamp is not None else int(time.time()))
    return {"X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)}


def post_event(url: str, event: dict, event_id: str | None = None, **headers: str) -> httpx.Response:
    body = json.dumps({"token": "unused", "team_id": TEAM_ID, "api_app_id": "A0TEST", "type": "event_callback",
                       "event": event, "event_id": event_id or f"Ev{next(_ids):08d}",
                       "event_time": int(time.time())}).encode()
    return httpx.post(f"{url}/slack/events", content=body, timeout=10,
                      headers={"content-type": "application/json", **signed(body), **headers})


def post_command(url: str, text: str, response_url: str, channel: str = "C0CMD") -> httpx.Response:
    body = urlencode({"command": "/design-review", "text": text, "response_url": response_url,
                      "channel_id": channel, "user_id": "U0AUTHOR", "team_id": TEAM_ID,
                      "trigger_id": "1.2.3", "token": "unused"}).encode()
    return httpx.post(f"{url}/slack/events", content=body, timeout=10,
                      headers={"content-type": "application/x-www-form-urlencoded", **signed(body)})


def mention(channel: str, ts: str, files: list[dict] | None = None, text: str = "", **extra) -> dict:
    event = {"type": "app_mention", "user": "U0AUTHOR", "text": f"<@{BOT_USER_ID}> review this {text}",
             "ts": ts, "event_ts": ts, "channel": channel, **extra}
    if files is not None:
        event["files"] = [{"id": f["id"], "name": f["name"], "filetype": f["filetype"]} for f in files]
    return event


def assert_review_blocks(payload: dict, review) -> None:
    """Overall, every stage with its score, the top gaps (most severe first) with their questions;
    within Slack's limits."""
    assert limit_problems(payload) == []
    text = block_texts(payload)
    assert payload["blocks"][0]["type"] == "header"
    assert f"Overall {review.overall.score:.2f}" in text
    for stage in review.stages:
        assert any(f"`{stage.score:.2f}`" in line and stage.title in line for line in text.split("\n")), stage.id
    top, gaps = top_gaps(review), review.gaps()
    assert len(top) == min(TOP_GAPS, len(gaps))
    rank = [SEVERITY_RANK[g.severity] for g in top]
    assert rank == sorted(rank, reverse=True)
    assert all(SEVERITY_RANK[g.severity] <= min(rank) for g in gaps if g not in top)
    plain = text.replace("&amp;", "&")
    for gap in top:
        assert f"`{gap.item}`" in text and gap.title in plain, gap.item
        if gap.questions:
            assert gap.questions[0][:40] in plain, gap.item


def quiet_period(seconds: float = 1.0) -> None:
    """Time for an (unwanted) background answer to show up before asserting there is none."""
    time.sleep(seconds)


# ---- configuration and signatures


def test_unconfigured_bot_answers_503_naming_the_variables(settings):
    app = create_app(get_settings(store_path=settings.store_path, corpus_dir=settings.corpus_dir,
                                  slack_bot_token=None, slack_signing_secret=None))
    with serve(app, lifespan="off") as url:
        response = httpx.post(f"{url}/slack/events", json={"type": "url_verification"}, timeout=10)
    assert response.status_code == 503
    body = response.json()
    assert body["missing"] == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
    assert "SLACK_BOT_TOKEN" in body["detail"] and "SLACK_SIGNING_SECRET" in body["detail"]


def test_url_verification_echoes_the_challenge(slack_url):
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "unused"}).encode()
    response = httpx.post(f"{slack_url}/slack/events", content=body,
                          headers={"content-type": "application/json", **signed(body)})
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-123"}


@pytest.mark.parametrize("case", ["wrong secret", "stale timestamp", "tampered body", "unsigned"])
def test_bad_or_stale_signatures_are_401(slack_url, standin, case):
    body = json.dumps({"type": "url_verification", "challenge": "c-401"}).encode()
    headers = {"wrong secret": signed(body, secret="not-the-secret"),
               "stale timestamp": signed(body, timestamp=int(time.time()) - 6 * 60),
               "tampered body": signed(body.replace(b"c-401", b"c-402")),
               "unsigned": {}}[case]
    response = httpx.post(f"{slack_url}/slack/events", content=body,
                          headers={"content-type": "application/json", **headers})
    assert response.status_code == 401
    assert "c-401" not in response.text


# ---- mentions


def test_mention_with_a_markdown_file_is_reviewed_in_its_thread(slack_url, standin, reviewer):
    text = read_fixture("fraud_metrics.md")
    channel, ts = "C0MENTION", next_ts()
    file = standin.add_file("fraud.md", text, channel)
    started = time.monotonic()
    response = post_event(slack_url, mention(channel, ts, [file]))
    assert response.status_code == 200 and time.monotonic() - started < 3

    post = standin.wait_for("chat.postMessage", channel=channel)[0]
    assert post.params["thread_ts"] == ts
    assert_review_blocks(post.params, reviewer.review(text))

    reaction = standin.calls_of("reactions.add", channel=channel, timestamp=ts)[0]
    assert reaction.params["name"] == "eyes"
    info = standin.calls_of("files.info", file=file["id"])[0]
    assert standin.index_of(reaction) < standin.index_of(info) < standin.index_of(post)
    download = standin.calls_of("download", path=f"/files-pri/{TEAM_ID}-{file['id']}/fraud.md")[0]
    assert download.headers["authorization"] == f"Bearer {TOKEN}"

    upload = standin.wait_for("files.completeUploadExternal", channel_id=channel)[0]
    assert upload.params["thread_ts"] == ts
    (uploaded,) = json.loads(upload.params["files"])
    report = standin.uploads[uploaded["id"]].decode()
    assert report.startswith("# Design review:") and "| Stage | Score |" in report
    standin.wait_for("reactions.add", channel=channel, timestamp=ts, name="white_check_mark")


def test_mention_in_a_thread_reviews_the_parent_messages_file(slack_url, standin):
    channel, parent, reply = "C0THREAD", next_ts(), next_ts()
    file = standin.add_file("ranking.txt", read_fixture("plain_design.txt"), channel, filetype="text")
    standin.add_thread(channel, parent, [{"id": file["id"], "name": file["name"], "filetype": "text"}])
    post_event(slack_url, mention(channel, reply, thread_ts=parent))
    post = standin.wait_for("chat.postMessage", channel=channel)[0]
    assert post.params["thread_ts"] == parent
    assert "Overall" in block_texts(post.params)
    assert standin.calls_of("conversations.replies", channel=channel, ts=parent)
    assert standin.calls_of("reactions.add", channel=channel, timestamp=reply)[0].params["name"] == "eyes"


def test_direct_message_with_a_file_is_answered(slack_url, standin):
    channel, ts = "D0DIRECT", next_ts()
    file = standin.add_file("split.md", read_fixture("random_split.md"), channel)
    event = {"type": "message", "subtype": "file_share", "channel_type": "im", "user": "U0AUTHOR",
             "text": "", "ts": ts, "channel": channel,
             "files": [{"id": file["id"], "name": file["name"], "filetype": "markdown"}]}
    post_event(slack_url, event)
    post = standin.wait_for("chat.postMessage", channel=channel)[0]
    assert post.params["thread_ts"] == ts and "Pitfalls" in block_texts(post.params)


def test_app_mention_and_message_for_one_message_get_one_answer(slack_url, standin):
    channel, ts = "C0DOUBLE", next_ts()
    file = standin.add_file("dup.md", read_fixture("scaler_leak.md"), channel)
    as_mention = mention(channel, ts, [file])
    as_message = {**as_mention, "type": "message", "subtype": "file_share", "channel_type": "channel"}
    assert post_event(slack_url, as_mention).status_code == 200
    assert post_event(slack_url, as_message).status_code == 200
    standin.wait_for("chat.postMessage", channel=channel)
    quiet_period()
    assert len(standin.calls_of("chat.postMessage", channel=channel)) == 1
    assert len(standin.calls_of("reactions.add", channel=channel, name="eyes")) == 1
    assert len(standin.calls_of("files.info", file=file["id"])) == 1


def test_a_retry_of_a_handled_event_is_acknowledged_not_reviewed_again(slack_url, standin):
    channel, ts, event_id = "C0RETRY", next_ts(), "Ev0RETRY01"
    file = standin.add_file("retry.md", read_fixture("week_split.md"), channel)
    event = mention(channel, ts, [file])
    assert post_event(slack_url, event, event_id).status_code == 200
    standin.wait_for("chat.postMessage", channel=channel)
    for attempt in ("1", "2"):
        retry = post_event(slack_url, event, event_id, **{"X-Slack-Retry-Num": attempt,
                                                          "X-Slack-Retry-Reason": "http_timeout"})
        assert retry.status_code == 200
    quiet_period()
    assert len(standin.calls_of("chat.postMessage", channel=channel)) == 1
    assert len(standin.calls_of("files.info", file=file["id"])) == 1


def test_bot_messages_are_ignored(slack_url, standin):
    file = standin.add_file("bot.md", read_fixture("fraud_metrics.md"), "C0BOT0")
    files = [{"id": file["id"], "name": file["name"], "filetype": "markdown"}]
    text = f"<@{BOT_USER_ID}> review this"
    events = [
        {"type": "message", "subtype": "bot_message", "bot_id": "B0OTHER", "text": text, "files": files},
        {"type": "app_mention", "bot_id": "B0OTHER", "user": "U0OTHERBOT", "text": text, "files": files},
        {"type": "app_mention", "bot_id": BOT_ID, "user": BOT_USER_ID, "text": text, "files": files},
        {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": text, "files": files},
    ]
    for n, event in enumerate(events):
        post_event(slack_url, {**event, "channel": f"C0BOT{n}", "ts": next_ts(), "channel_type": "channel"})
    # A person's mention without a file, sent last, is answered (with the usage) ...
    post_event(slack_url, mention("C0HUMAN", next_ts()))
    help_post = standin.wait_for("chat.postMessage", channel="C0HUMAN")[0]
    assert "/design-review" in block_texts(help_post.params)
    quiet_period(0.5)
    # ... and nothing was done for the bots.
    bot_channels = {f"C0BOT{n}" for n in range(len(events))}
    assert not [c for c in standin.calls if c.params.get("channel") in bot_channels]
    assert not standin.calls_of("files.info", file=file["id"])


# ---- the slash command


def test_slash_command_help_is_answered_at_once(slack_url):
    response = post_command(slack_url, "help", "http://127.0.0.1:9/unused")
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral" and "/design-review <link>" in body["text"]


def test_slash_command_reviews_pasted_text_after_the_ack(slack_url, standin, reviewer):
    text = read_fixture("accuracy_headline.md")
    started = time.monotonic()
    response = post_command(slack_url, text, standin.response_url_for("pasted"), channel="C0PASTE")
    assert response.status_code == 200 and time.monotonic() - started < 3
    assert "Reviewing the pasted design" in response.json()["text"]
    answer = standin.wait_for("response_url", path="/response/pasted")[0]
    assert answer.params["response_type"] == "in_channel"
    assert_review_blocks(answer.params, reviewer.review(text))
    standin.wait_for("files.completeUploadExternal", channel_id="C0PASTE")


def test_slash_command_reviews_a_slack_file_link_shared_in_its_channel_only(slack_url, standin):
    file = standin.add_file("linked.md", read_fixture("scaler_leak.md"), "C0LINKED")
    post_command(slack_url, f"<{file['permalink']}>", standin.response_url_for("linked"), channel="C0LINKED")
    answer = standin.wait_for("response_url", path="/response/linked")[0]
    assert answer.params["response_type"] == "in_channel" and "Overall" in block_texts(answer.params)
    assert standin.calls_of("files.info", file=file["id"])
    assert standin.calls_of("download", path=f"/files-pri/{TEAM_ID}-{file['id']}/linked.md")

    # The same link from another channel would carry the design to another audience: refused.
    post_command(slack_url, file["permalink"], standin.response_url_for("elsewhere"), channel="C0OTHER")
    refused = standin.wait_for("response_url", path="/response/elsewhere")[0]
    assert refused.params["response_type"] == "ephemeral"
    assert "shared in this conversation" in refused.params["text"]
    assert len(standin.calls_of("download", path=f"/files-pri/{TEAM_ID}-{file['id']}/linked.md")) == 1


def test_slash_command_fetches_allow_listed_urls_only(slack_url, standin):
    raw = standin.add_raw("design.md", read_fixture("random_split.md"))
    post_command(slack_url, raw, standin.response_url_for("raw"))
    answer = standin.wait_for("response_url", path="/response/raw")[0]
    assert answer.params["response_type"] == "in_channel" and "Pitfalls" in block_texts(answer.params)
    assert standin.calls_of("raw", path="/raw/design.md")

    refused = post_command(slack_url, "https://example.com/design.md", standin.response_url_for("refused"))
    assert refused.status_code == 200
    body = refused.json()
    assert body["response_type"] == "ephemeral" and "`example.com` is not" in body["text"]
    quiet_period(0.3)
    assert not standin.calls_of("response_url", path="/response/refused")


def test_slash_command_errors_come_back_as_ephemeral_messages(slack_url, standin):
    post_command(slack_url, "https://acme.slack.com/files/U0TEST01/F9999999/gone.md",
                 standin.response_url_for("gone"))
    answer = standin.wait_for("response_url", path="/response/gone")[0]
    assert answer.params["response_type"] == "ephemeral" and "file_not_found" in answer.params["text"]


# ---- the manifest and Socket Mode


def test_manifest_declares_the_command_events_and_scopes_the_bot_uses():
    manifest = yaml.safe_load((REPO / "slack" / "manifest.yml").read_text())
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND and command["url"].endswith(EVENTS_PATH)
    events = manifest["settings"]["event_subscriptions"]
    assert events["request_url"].endswith(EVENTS_PATH) and "app_mention" in events["bot_events"]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= {
        "commands", "app_mentions:read", "chat:write", "reactions:write", "files:read", "files:write",
        "channels:history", "groups:history", "im:history"}


def test_socket_mode_answers_a_mention_over_the_websocket(settings, ingested, standin):
    socket_settings = get_settings(
        store_path=settings.store_path, corpus_dir=settings.corpus_dir, slack_bot_token=TOKEN, slack_app_token=standin.app_token, slack_api_url=f"{standin.url}/api/")
    loop, stop = asyncio.new_event_loop(), None

    def run() -> None:
        nonlocal stop
        stop = asyncio.Event()
        loop.run_until_complete(serve_socket_mode(socket_settings, stop))

    thread = threading.Thread(target=run, name="socket-mode-bot", daemon=True)
    thread.start()
    try:
        channel, ts = "C0SOCKET", next_ts()
        file = standin.add_file("socket.md", read_fixture("fraud_metrics.md"), channel)
        standin.envelopes.put({"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
                               "retry_attempt": 0, "retry_reason": "", "payload": {
                                   "type": "event_callback", "team_id": TEAM_ID, "event_id": "Ev0SOCKET1",
                                   "event": mention(channel, ts, [file])}})
        assert standin.wait_for("socket_ack", envelope_id="env-1")
        post = standin.wait_for("chat.postMessage", channel=channel)[0]
        assert post.params["thread_ts"] == ts and "Overall" in block_texts(post.params)
        assert standin.calls_of("apps.connections.open")
        standin.wait_for("reactions.add", channel=channel, timestamp=ts, name="white_check_mark")
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_socket_mode_without_tokens_names_the_variables(cli_env):
    env = {k: v for k, v in cli_env.items() if not k.startswith(("SLACK_", "DESIGN_REVIEW_SLACK_"))}
    command = cli_command()[:2] + ["app.slack", "--socket"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN" in done.stderr and "SLACK_APP_TOKEN" in done.stderr
