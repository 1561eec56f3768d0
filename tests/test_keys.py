"""API keys as the service holds them (app/keys.py): hashes only, in the settings and on the command line."""

from __future__ import annotations

import uuid

import pytest

from app.config import get_settings
from app.keys import hash_key, normalise_keys

PLAIN_KEY = "plain-" + uuid.uuid4().hex
HASHED_KEY = "hashed-" + uuid.uuid4().hex


def test_keys_are_held_only_as_hashes():
    settings = get_settings(api_keys=f"{PLAIN_KEY}, {hash_key(HASHED_KEY).upper().replace('SHA256', 'sha256')}")
    assert settings.api_keys == [hash_key(PLAIN_KEY), hash_key(HASHED_KEY)]
    assert PLAIN_KEY not in repr(settings) and PLAIN_KEY not in settings.model_dump_json()


def test_a_hash_is_stable_and_names_its_algorithm():
    assert hash_key(PLAIN_KEY) == hash_key(PLAIN_KEY) != hash_key(HASHED_KEY)
    assert hash_key(PLAIN_KEY).startswith("sha256:") and PLAIN_KEY not in hash_key(PLAIN_KEY)
    assert normalise_keys([hash_key(PLAIN_KEY)]) == [hash_key(PLAIN_KEY)]  # a hash is kept as it is


def test_a_malformed_hash_is_refused_naming_the_command_that_makes_one():
    with pytest.raises(ValueError, match="hash-key"):
        normalise_keys(["sha256:nothex"])
