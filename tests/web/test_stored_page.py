"""A stored review's page, /reviews/<id>: the same after the server restarts (its reviews in SQLite),
and a document's history as a line chart with two reviews side by side."""

from __future__ import annotations

import uuid

import httpx

from helpers import PITFALL_LINE, read_fixture
from servers import ProcessServer, process_env


def test_a_stored_reviews_page_looks_the_same_after_a_restart(page, settings, ingested, tmp_path, shot,
                                                               review_in_page):
    env = process_env(settings, database_url=f"sqlite:///{tmp_path}/reviews.db")
    server = ProcessServer(env, tmp_path / "server.log")
    text = read_fixture("fraud_metrics.md") + f"\n## Evaluation\n\n{PITFALL_LINE}\n"
    try:  # stopped even when it fails to become healthy
        server.start()
        review_in_page(page, server.url, text, title=f"restart {uuid.uuid4().hex[:8]}")
        page.click("#review-link")
        page.wait_for_selector("#chart svg")
        before = {"score": page.locator("#score").text_content(),
                  "stages": page.locator("#chart svg [data-stage]").count(),
                  "gaps": page.locator("#gaps-title").text_content(),
                  "lines": page.locator("#doc li.line").count()}
        assert page.locator("#input-panel").is_hidden() and before["stages"] == 10
        server.stop()
        server.start()
        page.reload()
        page.wait_for_selector("#chart svg")
        after = {"score": page.locator("#score").text_content(),
                 "stages": page.locator("#chart svg [data-stage]").count(),
                 "gaps": page.locator("#gaps-title").text_content(),
                 "lines": page.locator("#doc li.line").count()}
        assert after == before and after["lines"] == len(text.split("\n"))
        shot(page, "stored-review-after-restart")
        # Shared: opened in a new browser context (no copy of the document there), the page shows the
        # whole document the service stored with the review, the same lines as in the first tab.
        other = page.context.browser.new_page()
        other.goto(page.url)
        other.wait_for_selector("#chart svg")
        other.wait_for_selector("#doc li.line")
        assert other.locator("#score").text_content() == before["score"]
        assert other.locator("#doc-note").is_hidden()
        assert other.locator("#doc li.line").count() == before["lines"]
        assert PITFALL_LINE in other.locator("#doc").text_content()
        other.close()
    finally:
        server.stop()


def test_a_documents_history_charts_its_reviews_and_compares_two(page, server_url, shot):
    document = read_fixture("random_split.md") + f"\n<!-- {uuid.uuid4().hex} -->\n"
    ids = [httpx.post(f"{server_url}/v1/reviews", json={"document": document, "title": f"v{n}"},
                      timeout=60).json()["id"] for n in range(3)]
    sha = httpx.get(f"{server_url}/v1/reviews/{ids[0]}", timeout=30).json()["document"]["sha256"]
    page.goto(f"{server_url}/reviews/{ids[-1]}?document_sha256={sha}")
    page.wait_for_selector("#history-chart svg")
    assert page.locator("#history-chart svg circle").count() == 3
    assert "3 reviews" in page.locator("#history-title").text_content()
    assert page.locator("#compare .compare-col").count() == 2
    assert "Fixed since #2" in page.locator("#compare").text_content()
    page.select_option("#older", "0")
    assert "Fixed since #1" in page.locator("#compare").text_content()
    shot(page, "history", full_page=True)
