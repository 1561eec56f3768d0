"""Socket Mode: the bot over Slack's WebSocket, for a team without a public URL.

`python -m app.slack --socket`; `add_arguments` and `run` let a CLI subcommand offer the same.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from app.config import Settings, get_settings
from app.slack import missing_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--socket", action="store_true",
                        help="Socket Mode (the default here; HTTP mode is `design-review serve`)")


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Load the reviewer in the background and answer Slack over its WebSocket until stop is set."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from app.review.runtime import Runtime
    from app.review.service import ReviewService
    from app.slack.bot import SlackBot

    runtime = Runtime(settings)
    service = ReviewService(runtime.settings, runtime)
    service.start()
    runtime.start()
    bot = SlackBot(settings, service)
    handler = AsyncSocketModeHandler(bot.app, settings.slack_app_token.get_secret_value())
    await handler.connect_async()
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await handler.close_async()
        service.stop()


def run(args: argparse.Namespace) -> int:
    """Exit 2 naming the variables to set, else serve until interrupted."""
    settings = get_settings()
    missing = missing_settings(settings, socket_mode=True)
    if missing:
        print(f"design-review slack: set {' and '.join(missing)} (SLACK_APP_TOKEN is an app-level token "
              "with the connections:write scope)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.slack", description=(
        "Run the Slack bot in Socket Mode (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN)."))
    add_arguments(parser)
    return run(parser.parse_args(argv))
