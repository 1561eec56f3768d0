"""API key hashing: what DESIGN_REVIEW_API_KEYS accepts and what `design-review hash-key` prints."""

from __future__ import annotations

import hashlib
import re
import secrets

HASH_PREFIX = "sha256:"
_HEX = re.compile(r"[0-9a-f]{64}")


def hash_key(key: str) -> str:
    """`sha256:<hex>` of a key, as DESIGN_REVIEW_API_KEYS accepts it."""
    return HASH_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh random API key."""
    return "dr_" + secrets.token_urlsafe(32)


def normalise_keys(entries: list[str]) -> list[str]:
    """Every entry as `sha256:<hex>`: hashed entries checked, plain keys hashed."""
    hashes = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        if entry.lower().startswith(HASH_PREFIX):
            digest = entry[len(HASH_PREFIX):].lower()
            if not _HEX.fullmatch(digest):
                raise ValueError("a hashed API key must be sha256: followed by 64 hex digits "
                                 "(run `design-review hash-key` to make one)")
            hashes.append(HASH_PREFIX + digest)
        else:
            hashes.append(hash_key(entry))
    return hashes
