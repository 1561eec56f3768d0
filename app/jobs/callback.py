"""Job callbacks: a review POSTed to a URL on the allow-list, signed with HMAC-SHA256 of the body."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from urllib.parse import urlsplit

import httpx

from app.config import Settings
from app.errors import UserError

log = logging.getLogger("design_review")
SIGNATURE_HEADER = "X-Design-Review-Signature"
ATTEMPTS = 3


def check_callback(url: str, settings: Settings) -> None:
    """Refuse (422) a callback URL that is not http(s) on an allowed host, or with no secret to sign."""
    if settings.callback_secret is None or not settings.callback_secret.get_secret_value():
        raise UserError("callback_url needs DESIGN_REVIEW_CALLBACK_SECRET on the server (callbacks are signed)")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    allowed = settings.callback_allowed_hosts
    if parts.scheme not in ("http", "https") or not host or (
            host not in allowed and parts.netloc.lower() not in allowed):
        raise UserError(f"callback_url must be an http(s) URL on an allowed host "
                        f"(DESIGN_REVIEW_CALLBACK_ALLOWED_HOSTS: {', '.join(allowed) or 'none set'})")


def sign(body: bytes, secret: str) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 of the body>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def deliver(url: str, body: bytes, secret: str, job_id: str) -> bool:
    """POST the body to url, signed; a few tries with a growing pause. True when it was taken (2xx)."""
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret),
               "X-Design-Review-Job": job_id}
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=10, follow_redirects=False)
            if response.is_success:
                return True
            problem = f"answered {response.status_code}"
        except httpx.HTTPError as exc:
            problem = type(exc).__name__
        log.warning("a job callback failed", extra={"fields": {"job": job_id, "attempt": attempt,
                                                              "problem": problem}})
        time.sleep(0.5 * attempt)
    return False
