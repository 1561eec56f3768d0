"""With API keys set, the page asks for a key once, keeps it in this tab's session storage, sends
it as the Bearer header (never in a URL or a cookie) and says when it is wrong."""

from __future__ import annotations

import uuid

import pytest

from helpers import read_fixture
from servers import ProcessServer, process_env

KEY = "page-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def keyed(settings, ingested, tmp_path_factory):
    folder = tmp_path_factory.mktemp("keyed")
    env = process_env(settings, api_keys=KEY, database_url=f"sqlite:///{folder}/r.db")
    server = ProcessServer(env, folder / "server.log")
    try:  # stopped even when it fails to become healthy
        yield server.start()
    finally:
        server.stop()


def test_a_wrong_key_is_refused_on_the_page_then_the_right_one_reviews(page, keyed, shot):
    sent = []
    page.on("request", lambda r: sent.append((r.url, r.headers.get("authorization"))) if "/v1/" in r.url else None)
    page.goto(f"{keyed.url}/")
    page.fill("#document", read_fixture("fraud_metrics.md"))
    page.click("#review-button")
    page.wait_for_selector("#key-panel:not([hidden])")
    assert "needs an API key" in page.locator("#key-message").text_content()
    page.fill("#key-input", "not-the-key")
    page.press("#key-input", "Enter")
    page.wait_for_selector("#key-message:has-text('not accepted (401)')")
    assert page.locator("#key-panel").is_visible()
    shot(page, "key-refused")
    page.fill("#key-input", KEY)
    page.click("#key-form button[type=submit]")
    page.wait_for_selector("#chart svg")
    assert page.locator("#key-panel").is_hidden()
    assert page.evaluate("sessionStorage.getItem('design-review.api-key')") == KEY
    assert page.evaluate("document.cookie") == "" and not page.context.cookies()
    assert [auth for _, auth in sent] == [None, "Bearer not-the-key", f"Bearer {KEY}"]
    assert not any(KEY in url for url, _ in sent)
    # Asked once: the stored review's page in the same tab uses the kept key.
    page.click("#review-link")
    page.wait_for_selector("#chart svg")
    assert page.locator("#key-panel").is_hidden() and KEY not in page.url
