"""API keys: hashed when read, compared in constant time, never logged.

`DESIGN_REVIEW_API_KEYS` holds plain keys or `sha256:<hex>` entries (what `design-review hash-key`
prints); only the hashes are kept in memory. A request names its key id in logs and metrics: the
first 12 hex digits of the key's hash, never the key.
"""

from __future__ import annotations

import hashlib
import hmac

from app.keys import HASH_PREFIX

PUBLIC_PATHS = frozenset({"/healthz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/", "/ui"})
# The review page's static files and stored-review pages: they carry no data (the page fetches a
# review from the API with the reader's key).
PUBLIC_PREFIXES = ("/static/", "/reviews/")


def key_id(key_hash: str) -> str:
    """A short, loggable name for a key: the start of its hash."""
    return key_hash.removeprefix(HASH_PREFIX)[:12]


class KeyRing:
    """The configured key hashes; `check` answers the key id of a valid bearer token."""

    def __init__(self, hashes: list[str]) -> None:
        self._digests = [bytes.fromhex(h.removeprefix(HASH_PREFIX)) for h in hashes]

    @property
    def enabled(self) -> bool:
        return bool(self._digests)

    def check(self, authorization: str | None) -> str | None:
        """The key id for a valid `Bearer <key>` header, else None (compared over hashes)."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        found = None
        for known in self._digests:  # no early exit: the time does not tell which key matched
            if hmac.compare_digest(digest, known):
                found = known
        return key_id(HASH_PREFIX + found.hex()) if found is not None else None


def needs_auth(path: str, metrics_require_auth: bool, signed: frozenset[str] = frozenset()) -> bool:
    """Whether a path is behind the bearer check when keys are configured.

    `signed`: paths whose callers prove themselves by a signature of their own (Slack's events).
    """
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or path in signed:
        return False
    if path == "/metrics":
        return metrics_require_auth
    return True
