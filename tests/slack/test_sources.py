"""Where a slash command's design comes from (app/slack/sources.py): parsing its text, the URL allow-list."""

from __future__ import annotations

import pytest

from app.slack.sources import Source, host_allowed, parse_source
from slack_standin import BOT_USER_ID


@pytest.mark.parametrize("text, expected", [
    ("", Source("help")), ("  help ", Source("help")), (f"<@{BOT_USER_ID}>", Source("help")),
    ("<https://acme.slack.com/files/U01/F0ABC123/design.md>", Source("slack_file", "F0ABC123")),
    ("https://files.slack.com/files-pri/T01-F0XYZ/design.md", Source("slack_file", "F0XYZ")),
    ("<https://raw.example.org/a.md|a.md>", Source("url", "https://raw.example.org/a.md")),
    ("# Plan\nUse p99 &lt; 50 ms &amp; more", Source("text", "# Plan\nUse p99 < 50 ms & more")),
])
def test_command_text_is_parsed_into_a_source(text, expected):
    assert parse_source(text) == expected


def test_host_allow_list_matches_host_or_host_and_port():
    allowed = ["raw.githubusercontent.com", "127.0.0.1:8080"]
    assert host_allowed("https://raw.githubusercontent.com/o/r/main/d.md", allowed)
    assert host_allowed("http://127.0.0.1:8080/d.md", allowed)
    assert not host_allowed("http://127.0.0.1:8081/d.md", allowed)
    assert not host_allowed("https://raw.githubusercontent.com.evil.net/d.md", allowed)
    assert not host_allowed("file:///etc/passwd", allowed)


# ---- the allow-list: ports and private addresses


def test_an_entry_without_a_port_allows_the_default_port_only():
    from app.slack.sources import host_allowed

    allowed = ["raw.example.com", "docs.example.com:8443"]
    assert host_allowed("https://raw.example.com/a.md", allowed)
    assert host_allowed("https://raw.example.com:443/a.md", allowed)
    assert not host_allowed("https://raw.example.com:8443/a.md", allowed)
    assert not host_allowed("http://raw.example.com:6379/a.md", allowed)
    assert host_allowed("https://docs.example.com:8443/a.md", allowed)
    assert not host_allowed("https://docs.example.com/a.md", allowed)


def test_a_name_resolving_to_a_local_address_is_not_fetched_but_an_address_entry_is(standin_raw_url):
    import asyncio

    import pytest as _pytest

    from app.errors import UserError
    from app.slack.sources import download, refuse_private

    with _pytest.raises(UserError, match="private or local address"):
        refuse_private("http://localhost/a.md")
    refuse_private("http://127.0.0.1/a.md")  # an address on the allow-list is meant
    by_name = standin_raw_url.replace("127.0.0.1", "localhost")
    with _pytest.raises(UserError, match="private or local address"):
        asyncio.run(download(by_name, 10_000, public_only=True))
    assert asyncio.run(download(standin_raw_url, 10_000, public_only=True))


@pytest.fixture(scope="module")
def standin_raw_url():
    from servers import serve
    from slack_standin import SlackStandIn

    fake = SlackStandIn("xoxb-raw")
    with serve(fake.app) as url:
        fake.url = url
        yield fake.add_raw("design.md", "# A design\n\nWe split by time.\n")
