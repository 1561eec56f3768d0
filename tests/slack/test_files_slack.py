"""Word and PDF designs through the Slack door, over real HTTP against the Slack stand-in: attached
to a mention, sent in a direct message, linked in the slash command; reviewed like a .md file."""

from __future__ import annotations

import itertools
import json
import time
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from app.config import get_settings
from helpers import read_fixture
from servers import app_server
from slack_standin import TEAM_ID, block_texts

from exports import blank_pdf, to_docx, to_pdf

TOKEN, SECRET = "xoxb-files-token", "files-signing-secret"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_ids = itertools.count(1)


def next_ts() -> str:
    return f"1700000100.{next(_ids):06d}"


@pytest.fixture(scope="module")
def slack_url(settings, ingested, standin):
    with app_server(get_settings(
            store_path=settings.store_path, corpus_dir=settings.corpus_dir, slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=f"{standin.url}/api/")) as url:
        yield url


def signed_post(url: str, body: bytes, content_type: str) -> httpx.Response:
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    return httpx.post(f"{url}/slack/events", content=body, timeout=10, headers={
        "content-type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature})


def post_event(url: str, event: dict) -> httpx.Response:
    body = json.dumps({"token": "unused", "team_id": TEAM_ID, "api_app_id": "A0TEST", "type": "event_callback",
                       "event": event, "event_id": f"EvF{next(_ids):08d}", "event_time": int(time.time())})
    return signed_post(url, body.encode(), "application/json")


def add_binary(standin, name: str, data: bytes, channel: str, filetype: str, mimetype: str) -> dict:
    """A Word or PDF file shared in channel (the stand-in serves its bytes with its type)."""
    file = standin.add_file(name, "", channel, filetype=filetype)
    file.update(mimetype=mimetype, size=len(data))
    standin.contents[file["id"]] = data
    return file


def listed(file: dict) -> list[dict]:
    return [{"id": file["id"], "name": file["name"], "filetype": file["filetype"]}]


def test_a_docx_attached_to_a_mention_is_reviewed_in_its_thread(slack_url, standin):
    channel, ts = "C0DOCX", next_ts()
    file = add_binary(standin, "split.docx", to_docx(read_fixture("random_split.md")), channel, "docx", DOCX_TYPE)
    post_event(slack_url, {"type": "app_mention", "user": "U0AUTHOR", "text": "<@U0BOT> review please",
                           "ts": ts, "channel": channel, "files": listed(file)})
    post = standin.wait_for("chat.postMessage", channel=channel)[0]
    assert post.params["thread_ts"] == ts
    text = block_texts(post.params)
    assert "Overall" in text and "Pitfalls" in text
    assert "paragraph" in text  # the pitfall's place in the Word file, beside its line
    standin.wait_for("reactions.add", channel=channel, timestamp=ts, name="white_check_mark")


def test_a_pdf_sent_in_a_direct_message_is_answered(slack_url, standin):
    channel, ts = "D0PDF", next_ts()
    file = add_binary(standin, "split.pdf", to_pdf(read_fixture("random_split.md")), channel, "pdf",
                      "application/pdf")
    post_event(slack_url, {"type": "message", "subtype": "file_share", "channel_type": "im", "user": "U0AUTHOR",
                           "text": "", "ts": ts, "channel": channel, "files": listed(file)})
    post = standin.wait_for("chat.postMessage", channel=channel)[0]
    assert "Overall" in block_texts(post.params) and "page 1" in block_texts(post.params)


def test_a_pdf_linked_in_the_slash_command_is_reviewed(slack_url, standin):
    channel = "C0PDFLINK"
    file = add_binary(standin, "linked.pdf", to_pdf(read_fixture("scaler_leak.md")), channel, "pdf",
                      "application/pdf")
    body = urlencode({"command": "/design-review", "text": f"<{file['permalink']}>",
                      "response_url": standin.response_url_for("pdflink"), "channel_id": channel,
                      "user_id": "U0AUTHOR", "team_id": TEAM_ID, "trigger_id": "1.2.3", "token": "unused"}).encode()
    signed_post(slack_url, body, "application/x-www-form-urlencoded")
    answer = standin.wait_for("response_url", path="/response/pdflink")[0]
    assert answer.params["response_type"] == "in_channel" and "Overall" in block_texts(answer.params)


def test_a_scanned_pdf_gets_a_plain_answer_not_a_review(slack_url, standin):
    channel, ts = "C0SCAN", next_ts()
    file = add_binary(standin, "scan.pdf", blank_pdf(1, image=True), channel, "pdf", "application/pdf")
    post_event(slack_url, {"type": "app_mention", "user": "U0AUTHOR", "text": "<@U0BOT>", "ts": ts,
                           "channel": channel, "files": listed(file)})
    post = standin.wait_for("chat.postMessage", channel=channel)[0]
    assert "no text layer" in json.dumps(post.params)
