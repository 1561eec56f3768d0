"""The Slack door: bolt listeners that acknowledge at once, then fetch, review and answer.

The only module that imports slack_bolt and slack_sdk. Listeners run after the ack (bolt's
process_before_response=False), so Slack gets its answer within 3 seconds; the review itself runs
in a worker thread.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from app.config import Settings
from app.document.convert import Limits
from app.document.formats import FILE_FORMATS, document_format
from app.errors import DependencyError, DocumentTooLarge, Refused, UserError
from app.review.render import render_markdown
from app.review.model import Review
from app.review.service import ReviewRequest, ReviewService
from app.slack.blocks import escape, notice, review_message
from app.slack.dedupe import TtlSet
from app.slack.sources import (Design, Source, download, is_slack_host, is_text_file, name_of,
                               parse_source, refusal)

log = logging.getLogger("design_review.slack")
COMMAND = "/design-review"
WORKING, DONE, FAILED = "eyes", "white_check_mark", "warning"
MIN_MENTION_WORDS = 25  # a mention with less text than this and no file gets the usage, not a review
_ANSWERED_SUBTYPES = {None, "file_share", "thread_broadcast"}
HELP = (
    "*Design review* checks an ML system design against the ten stages of the ML system design flow "
    "and answers with a score per stage, the top gaps with follow-up questions, the pitfalls found and "
    "the full report as a file.\n"
    f"• `{COMMAND} <design text>`: review the pasted design (markdown or plain text)\n"
    f"• `{COMMAND} <link>`: review a Slack file (its link: markdown, text, .docx, .pdf or .html) or a raw "
    "text/markdown URL on an allowed host\n"
    f"• `{COMMAND} help`: this message\n"
    "• Mention me in a message or thread with a design attached (`.md`, `.txt`, Word `.docx`, `.pdf` or "
    "`.html`: a Google Docs or Confluence export works), or in reply to one, or send it to me directly, "
    "and I answer in the thread."
)


def from_bot(event: dict) -> bool:
    """Messages from bots (this one included) are never reviewed: no loops between bots."""
    return bool(event.get("bot_id") or event.get("bot_profile")) or event.get("subtype") == "bot_message"


def shared_in(file: dict) -> set[str]:
    """The conversations a Slack file object says it is shared in."""
    shares = file.get("shares") or {}
    return ({*file.get("channels", ()), *file.get("groups", ()), *file.get("ims", ())}
            | set(shares.get("public") or {}) | set(shares.get("private") or {}))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "design"


class SlackBot:
    """A bolt AsyncApp wired to the reviewer; `app` serves HTTP (/slack/events) or Socket Mode."""

    def __init__(self, settings: Settings, service: ReviewService) -> None:
        self.settings = settings
        self.service = service
        self.token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
        self.app = AsyncApp(token=self.token, signing_secret=secret, name="design-reviewer",
                            process_before_response=False, logger=log)
        self.client: AsyncWebClient = self.app.client
        # Requests' own clients copy this base URL: Slack, or the stand-in the tests run.
        self.client.base_url = (settings.slack_api_url or AsyncWebClient.BASE_URL).rstrip("/") + "/"
        shared = getattr(service, "shared", None)  # Redis: one set for every replica
        self.seen_events = TtlSet(shared=shared, name="events")      # event_id: Slack's retries of one delivery
        self.seen_messages = TtlSet(shared=shared, name="messages")  # (channel, ts): app_mention and message
        self.app.middleware(self.drop_repeated_events)
        self.app.command(COMMAND)(self.on_command)
        self.app.event("app_mention")(self.on_mention)
        self.app.event("message")(self.on_message)

    # ---- listeners

    async def drop_repeated_events(self, body: dict, request, next) -> BoltResponse | None:
        """Acknowledge a retry (X-Slack-Retry-Num) or redelivery of an event already taken, and stop."""
        event_id = body.get("event_id")
        if event_id and not self.seen_events.claim(event_id):
            retry = (request.headers.get("x-slack-retry-num") or ["?"])[0]
            log.info("event %s delivered again (retry %s): acknowledged, not reviewed again", event_id, retry)
            return BoltResponse(status=200, body="")
        return await next()

    async def on_command(self, ack, command: dict, respond) -> None:
        """`/design-review ...`: help and refusals at once; otherwise ack, then review and respond."""
        source = parse_source(command.get("text", ""))
        refused = refusal(source, self.settings.slack_allowed_hosts)
        if source.kind == "help" or refused:
            await ack(response_type="ephemeral", **notice(refused or HELP))
            return
        await ack(response_type="ephemeral", text=f":eyes: Reviewing {self._describe(source)}…")
        try:
            review = await self.review(await self.fetch(source, command.get("channel_id", "")))
        except Exception as exc:  # every failure becomes a message the user can act on
            await respond(response_type="ephemeral", replace_original=False, **notice(self._explain(exc)))
            return
        await respond(response_type="in_channel", replace_original=False, **review_message(review))
        if not await self.upload_report(review, command.get("channel_id", ""), None):
            await respond(response_type="ephemeral", replace_original=False, **notice(
                "I could not attach the full report here: invite me to the channel (`/invite @design-reviewer`)."))

    async def on_mention(self, event: dict) -> None:
        await self.answer_message(event)

    async def on_message(self, event: dict, context) -> None:
        """Message events: only those addressed to the bot (a mention, or a direct message)."""
        mention = f"<@{context.bot_user_id}>" if context.bot_user_id else None
        if (mention and mention in (event.get("text") or "")) or event.get("channel_type") == "im":
            await self.answer_message(event)

    # ---- the message flow

    async def answer_message(self, event: dict) -> None:
        """React at once, review the attached (or parent's) file, answer in the thread."""
        channel, ts = event.get("channel"), event.get("ts")
        if from_bot(event) or event.get("subtype") not in _ANSWERED_SUBTYPES or not (channel and ts):
            return
        if not self.seen_messages.claim((channel, ts)):
            return
        thread = event.get("thread_ts") or ts
        await self._react(channel, ts, WORKING)
        try:
            design = await self.design_from_message(event)
            if design is None:
                await self.client.chat_postMessage(channel=channel, thread_ts=thread, **notice(HELP))
                return
            review = await self.review(design)
        except Exception as exc:  # every failure becomes a reply in the thread
            await self.client.chat_postMessage(channel=channel, thread_ts=thread, **notice(self._explain(exc)))
            await self._react(channel, ts, FAILED)
            return
        await self.client.chat_postMessage(channel=channel, thread_ts=thread, **review_message(review))
        await self.upload_report(review, channel, thread)
        await self._react(channel, ts, DONE)

    async def design_from_message(self, event: dict) -> Design | None:
        """The message's file, else its thread parent's file, else a link or design in its text."""
        files = event.get("files") or await self._parent_files(event)
        if files:
            return await self.slack_file(await self._pick_file(files), event["channel"])
        source = parse_source(event.get("text", ""))
        if source.kind == "help" or (source.kind == "text" and len(source.value.split()) < MIN_MENTION_WORDS):
            return None
        refused = refusal(source, self.settings.slack_allowed_hosts)
        if refused:
            raise UserError(refused)
        return await self.fetch(source, event["channel"])

    async def _parent_files(self, event: dict) -> list[dict]:
        parent = event.get("thread_ts")
        if not parent or parent == event.get("ts"):
            return []
        replies = await self.client.conversations_replies(channel=event["channel"], ts=parent, limit=1,
                                                          inclusive=True)
        messages = replies.get("messages") or []
        return messages[0].get("files") or [] if messages else []

    async def _pick_file(self, files: list[dict]) -> str:
        """The id of the first markdown or text file (or the first one Slack hides details of)."""
        for f in files:
            if is_text_file(f) or f.get("file_access") == "check_file_info":
                return f["id"]
        names = ", ".join(f.get("name") or f.get("id", "?") for f in files)
        raise UserError(f"I review markdown (`.md`), text (`.txt`), Word (`.docx`), PDF or HTML files; "
                        f"this message has {names}.")

    # ---- fetching and reviewing

    async def fetch(self, source: Source, channel: str) -> Design:
        """The design a source names, asked for in channel."""
        if source.kind == "slack_file":
            return await self.slack_file(source.value, channel)
        if source.kind == "url":
            fmt = document_format(name_of(source.value))
            data = await download(source.value, self.file_limit(fmt), public_only=True)
            return Design(data, fmt)
        return Design(source.value, "markdown")

    async def slack_file(self, file_id: str, channel: str) -> Design:
        """files.info, then the download with the bot token (only ever sent to Slack's own hosts).

        Only a file shared in the conversation that asks is read: the answer quotes the design, and
        a link must not carry a file from a private channel the bot is in to another audience.
        """
        try:
            file = (await self.client.files_info(file=file_id))["file"]
        except SlackApiError as exc:
            raise UserError(f"I could not read the Slack file {file_id}: {exc.response.get('error')} "
                            "(is it shared in a channel I am in?)") from exc
        if channel not in shared_in(file):
            raise UserError(f"I only review a Slack file shared in this conversation; share "
                            f"`{file.get('name') or file_id}` here first.")
        if not is_text_file(file):
            raise UserError(f"I review markdown (`.md`), text (`.txt`), Word (`.docx`), PDF or HTML files; "
                            f"`{file.get('name')}` is none of them.")
        fmt = document_format(file.get("name") or "", file.get("mimetype"))
        limit = self.file_limit(fmt)
        if (file.get("size") or 0) > limit:
            raise DocumentTooLarge(f"the file is {file['size']} bytes; the limit is {limit} bytes")
        url = file.get("url_private_download") or file.get("url_private") or ""
        if not self._is_slack_url(url):
            raise UserError(f"the Slack file {file_id} has no download link on Slack's hosts")
        data = await download(url, limit, {"Authorization": f"Bearer {self.token}"})
        return Design(data, fmt)  # the service reads a Word or PDF file by its bytes, whatever its name

    def file_limit(self, fmt: str) -> int:
        """A Word or PDF file is larger than its text: the converter's file limit; the text's otherwise."""
        return max(self.settings.max_document_bytes, Limits().max_file_bytes) if fmt in FILE_FORMATS \
            else self.settings.max_document_bytes

    def _is_slack_url(self, url: str) -> bool:
        """Slack's own hosts, or the configured Web API's host (a stand-in in tests)."""
        parts = urlsplit(url)
        api_host = urlsplit(self.settings.slack_api_url or "").netloc
        return parts.scheme in ("http", "https") and (
            is_slack_host(parts.hostname or "") or (bool(api_host) and parts.netloc == api_host))

    async def review(self, design: Design) -> Review:
        """The review from the service: stored, counted and bounded like a REST one; it runs on the
        service's review threads, so the event loop keeps acknowledging Slack."""
        answer = await self.service.review(ReviewRequest(document=design.data, format=design.fmt, caller="slack",
                                                         offload=True))  # an LLM review: on a worker
        return answer.review

    # ---- answering

    async def upload_report(self, review: Review, channel: str, thread_ts: str | None) -> bool:
        """The full markdown report as a file in the channel (in the thread when there is one)."""
        title = review.document.title
        try:
            await self.client.files_upload_v2(
                channel=channel, thread_ts=thread_ts, content=render_markdown(review),
                filename=f"design-review-{slug(title)}.md", title=f"Design review: {title}"[:250])
        except SlackApiError as exc:
            log.warning("could not upload the report to %s: %s", channel, exc.response.get("error"))
            return False
        return True

    async def _react(self, channel: str, ts: str, name: str) -> None:
        try:
            await self.client.reactions_add(channel=channel, timestamp=ts, name=name)
        except SlackApiError as exc:  # already_reacted, missing scope: the answer matters more
            log.info("reaction %s on %s/%s failed: %s", name, channel, ts, exc.response.get("error"))

    @staticmethod
    def _describe(source: Source) -> str:
        if source.kind == "text":
            return f"the pasted design ({len(source.value.split())} words)"
        return f"the Slack file {source.value}" if source.kind == "slack_file" else escape(source.value)

    @staticmethod
    def _explain(exc: Exception) -> str:
        if isinstance(exc, UserError):
            return f":warning: {exc}"
        if isinstance(exc, Refused):  # the review slots are full: the same refusal REST answers 503
            return f":hourglass: Not now: {exc} ({exc.retry_after or 5} s)."
        if isinstance(exc, DependencyError):
            return f":hourglass: The reviewer is not ready: {exc}"
        log.exception("Slack review failed", exc_info=exc)
        return ":x: Something went wrong while reviewing this design; the error is in the service log."
