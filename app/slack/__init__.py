"""The Slack bot: `/design-review`, mentions with a design file, answers in Block Kit.

`mount_slack` serves it over HTTP at /slack/events; `python -m app.slack` runs it in Socket Mode.
slack_bolt is imported only when the bot is configured.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from app.config import Settings

log = logging.getLogger("design_review.slack")

EVENTS_PATH = "/slack/events"


def missing_settings(settings: Settings, socket_mode: bool = False) -> list[str]:
    """The Slack variables still to set (empty when the bot can run)."""
    needed = {"SLACK_BOT_TOKEN": settings.slack_bot_token}
    needed.update({"SLACK_APP_TOKEN": settings.slack_app_token} if socket_mode
                  else {"SLACK_SIGNING_SECRET": settings.slack_signing_secret})
    return [name for name, value in needed.items() if value is None or not value.get_secret_value()]


def not_configured(missing: list[str]) -> str:
    return (f"The Slack bot is not configured: set {' and '.join(missing)} (the bot token and signing "
            "secret of the Slack app made from slack/manifest.yml) and restart the service. "
            "The REST API works without them.")


def mount_slack(app: FastAPI, service) -> None:
    """POST /slack/events: Slack's events and slash commands, or 503 naming the variables to set.

    `service`: the review service (app/review/service.py) the bot's reviews go through.
    """
    missing = missing_settings(service.settings)
    handler = gate = None
    if not missing:
        from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

        from app.slack.bot import SlackBot
        from app.slack.signature import SignatureGate
        handler = AsyncSlackRequestHandler(SlackBot(service.settings, service).app)
        gate = SignatureGate(service.settings.slack_signing_secret.get_secret_value(),
                             shared=getattr(service, "shared", None))

    @app.post(EVENTS_PATH, tags=["slack"], summary="Slack events and the /design-review command")
    async def slack_events(request: Request) -> Response:
        """Signed requests from Slack: the signature and its 5-minute window are checked on the raw
        body first; a replayed signature is acknowledged and not handled again."""
        if handler is None:
            return JSONResponse({"detail": not_configured(missing), "missing": missing}, status_code=503)
        body = await request.body()
        refused = gate.refusal(request.headers, body)
        if refused:
            return JSONResponse({"detail": refused}, status_code=401)
        if not gate.first_time(request.headers):
            log.info("a replayed Slack request was acknowledged and not handled again")
            return Response(status_code=200)
        try:
            return await handler.handle(request)
        except Exception as exc:  # signed, yet not a request bolt can read: Slack's fault or a test's
            log.warning("a signed Slack request could not be read: %s", type(exc).__name__)
            return JSONResponse({"detail": "the body is not a Slack event or command"}, status_code=400)
