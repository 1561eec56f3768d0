"""The Slack bot: `/design-review`, mentions with a design file, answers in Block Kit.

`mount_slack` serves it over HTTP at /slack/events; `python -m app.slack` runs it in Socket Mode.
slack_bolt is imported only when the bot is configured.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from app.config import Settings

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
    handler = None
    if not missing:
        from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

        from app.slack.bot import SlackBot
        handler = AsyncSlackRequestHandler(SlackBot(service.settings, service).app)

    @app.post(EVENTS_PATH, tags=["slack"], summary="Slack events and the /design-review command")
    async def slack_events(request: Request) -> Response:
        """Signed requests from Slack (bolt verifies the signature and the 5-minute window)."""
        if handler is None:
            return JSONResponse({"detail": not_configured(missing), "missing": missing}, status_code=503)
        return await handler.handle(request)
