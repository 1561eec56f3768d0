"""The set that keeps an event handled once (app/slack/dedupe.py)."""

from __future__ import annotations

from app.slack.dedupe import TtlSet


def test_ttl_set_forgets_after_ttl_and_stays_bounded():
    now = [0.0]
    seen = TtlSet(ttl=10, maxsize=3, clock=lambda: now[0])
    assert seen.claim("a") and not seen.claim("a")
    now[0] = 11
    assert seen.claim("a")
    for key in "bcde":
        seen.claim(key)
    assert len(seen) == 3 and seen.claim("b")
