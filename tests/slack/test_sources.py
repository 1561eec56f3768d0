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
