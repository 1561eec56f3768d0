"""Fixtures for the `design-review check` tests: the in-process source over the session reviewer,
and `judge`, which checks one fixture document (or given text under its name) in process."""

from __future__ import annotations

import pytest

from app.check.findings import settle
from app.check.paths import collect_documents
from app.check.policy import Policy
from app.check.runner import Checker
from app.check.sources import LocalSource

from helpers import CHECK_FIXTURES, FIXTURES, REPO


@pytest.fixture(scope="package")
def source(settings, reviewer) -> LocalSource:
    return LocalSource(settings, reviewer)


@pytest.fixture(scope="package")
def judge(source):
    """judge(name, policy=None, text=None): the settled result of a fixture document (under
    tests/fixtures/check, else tests/fixtures) under the policy; with text, of that text under its name."""
    def judge(name: str, policy: Policy | None = None, text: str | None = None):
        policy = policy or Policy()
        path = CHECK_FIXTURES / name if (CHECK_FIXTURES / name).exists() else FIXTURES / name
        data = (text if text is not None else path.read_text()).encode()
        doc = collect_documents([str(path)], policy, REPO)[0]
        result = Checker(source, policy).judge(data, doc)
        settle(result, policy)
        return result
    return judge
