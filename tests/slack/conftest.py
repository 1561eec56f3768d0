"""The Slack stand-in each module's tests talk to, with the module's own bot token (TOKEN)."""

from __future__ import annotations

import pytest

from servers import serve
from slack_standin import SlackStandIn


@pytest.fixture(scope="module")
def standin(request):
    """A recording stand-in for Slack's Web API on a loopback port, for this module's TOKEN."""
    fake = SlackStandIn(request.module.TOKEN)
    with serve(fake.app) as url:
        fake.url = url
        yield fake
