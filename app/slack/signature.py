"""Slack's request signature, checked on the raw body before anything reads it.

A request that is not signed with the app's signing secret, or whose timestamp is malformed or
more than five minutes away, is refused with 401 before its body is parsed, so hostile bodies
cost nothing and log nothing. A signed request seen before (the same signature: a replay) is
acknowledged and not handled again.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from app.slack.dedupe import TtlSet

WINDOW_S = 300  # Slack's own rule: a request older than five minutes is refused


class SignatureGate:
    """Checks X-Slack-Signature and X-Slack-Request-Timestamp against the signing secret."""

    def __init__(self, secret: str, window_s: int = WINDOW_S, shared=None) -> None:
        self._secret = secret.encode()
        self.window_s = window_s
        self._seen = TtlSet(ttl=2 * window_s, shared=shared, name="signatures")

    def refusal(self, headers, body: bytes, now: float | None = None) -> str | None:
        """Why the request is refused (a 401), or None when it is Slack's and fresh."""
        stamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not stamp.isdigit() or len(stamp) > 12:
            return "no valid X-Slack-Request-Timestamp: this endpoint takes only requests signed by Slack"
        if abs((time.time() if now is None else now) - int(stamp)) > self.window_s:
            return "the request is more than five minutes old (X-Slack-Request-Timestamp)"
        expected = "v0=" + hmac.new(self._secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return "the X-Slack-Signature does not match: this endpoint takes only requests signed by Slack"
        return None

    def first_time(self, headers) -> bool:
        """False for a signature already handled within the window (a replayed request)."""
        return self._seen.claim(headers.get("x-slack-signature", ""))
