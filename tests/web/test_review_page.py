"""The review page (app/api/pages.py, app/api/static/) in headless chromium against the live server:
paste a design and read its review, follow a pitfall to its lines, gaps to their sections, the
downloads, bad input, cancelling, a phone-width window and the page's weight."""

from __future__ import annotations

from pathlib import Path

import json
import uuid

from helpers import PITFALL, PITFALL_LINE, REPO, line_of, read_fixture

PAGE_BUDGET_BYTES = 250_000  # HTML + CSS + JS + fonts, uncompressed


def design_with_pitfall() -> str:
    return read_fixture("fraud_metrics.md") + f"\n## Evaluation\n\n{PITFALL_LINE}\n\n<!-- {uuid.uuid4().hex} -->\n"


def test_a_pasted_design_shows_its_score_topics_and_ten_stages(page, server_url, shot, review_in_page):
    loaded = []
    page.on("response", lambda r: loaded.append(r))
    review_in_page(page, server_url, (REPO / "examples" / "recsys_design.md").read_text())
    assert page.locator("#score").text_content().isdigit()
    assert page.locator("#verdict").text_content() in {"strong", "adequate", "needs work", "insufficient"}
    assert page.locator("#result-title").text_content() == "Podcast episode recommendations for the home screen"
    assert "Recommendation systems" in page.locator("#topics").text_content()
    stages = page.locator("#chart svg [data-stage]")
    assert stages.count() == 10
    assert "covered" in stages.first.locator(".stage-counts").text_content()
    assert page.locator("#doc li.line").count() == 76  # the example's lines, numbered as the service does
    shot(page, "review-page")
    weight = sum(len(r.body()) for r in loaded
                 if r.request.resource_type in {"document", "stylesheet", "script", "font"})
    assert 0 < weight <= PAGE_BUDGET_BYTES, weight
    assert not page.seen.errors and not [m for m in page.seen.console if m.startswith("error")]


def test_clicking_a_pitfall_highlights_its_line(page, server_url, shot, review_in_page):
    text = design_with_pitfall()
    review_in_page(page, server_url, text)
    page.locator("#pitfalls button.jump", has_text="random").first.click()
    highlighted = page.locator("#doc li.hl")
    assert highlighted.count() >= 1
    number = line_of(text, PITFALL_LINE)
    assert page.locator(f"#L{number}").get_attribute("class").split().count("hl") == 1
    assert PITFALL_LINE in page.locator(f"#L{number}").text_content()
    assert str(number) in page.locator("#locate").text_content()
    shot(page, "pitfall-highlighted")
    page.locator("#covered-box summary").click()  # a covered item, by keyboard this time
    item = page.locator("#covered button.jump:not([disabled])").first
    item.focus()
    page.keyboard.press("Enter")
    assert page.locator(f"#L{number}.hl").count() == 0 and page.locator("#doc li.hl").count() >= 1


def test_a_gap_scrolls_to_its_section_or_says_there_is_none(page, server_url, review_in_page):
    review_in_page(page, server_url, (REPO / "examples" / "recsys_design.md").read_text())
    page.locator("#gaps summary", has_text="more gaps").click()  # unfold the less important ones
    placed = page.locator("#gaps button.jump", has_text="2. Metrics").first
    placed.click()
    assert "from line" in page.locator("#locate").text_content()
    assert page.locator("#doc li.hl").count() == 1
    homeless = page.locator("#gaps button.jump", has_text="no section").first
    homeless.click()
    assert "has no section" in page.locator("#locate").text_content()
    assert page.locator("#doc li.hl").count() == 0


def test_gaps_come_most_important_first(page, server_url, review_in_page):
    review_in_page(page, server_url, (REPO / "examples" / "recsys_design.md").read_text())
    rank = {"critical": 2, "warning": 1, "info": 0}
    severities = [rank[b.lower()] for b in page.locator("#gaps .badge").all_text_contents()]
    assert severities == sorted(severities, reverse=True) and len(severities) > 10
    assert page.locator("#gaps details summary", has_text="more gaps").count() == 1


def test_the_downloads_carry_the_review(page, server_url, review_in_page):
    review_in_page(page, server_url, design_with_pitfall())
    with page.expect_download() as got:
        page.click("[data-download=json]")
    review = json.loads(open(got.value.path(), encoding="utf-8").read())
    assert review["id"] in page.locator("#review-link").get_attribute("href")
    with page.expect_download() as got:
        page.click("[data-download=markdown]")
    markdown = open(got.value.path(), encoding="utf-8").read()
    assert markdown.startswith("# Design review:") and "## Gaps" in markdown
    with page.expect_download() as got:
        page.click("[data-download=sarif]")
    sarif = json.loads(open(got.value.path(), encoding="utf-8").read())
    assert sarif["version"] == "2.1.0"
    assert PITFALL in {r["ruleId"] for r in sarif["runs"][0]["results"]}


def test_an_empty_document_gets_a_message_not_a_request(page, server_url, shot):
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/v1/" in r.url else None)
    page.goto(f"{server_url}/")
    page.fill("#document", "  \n\n  ")
    page.click("#review-button")
    message = page.locator("#message")
    assert message.is_visible() and "empty" in message.text_content()
    assert not sent and page.locator("#result").is_hidden()
    shot(page, "empty-document")


def test_too_large_and_unreadable_files_get_messages(page, server_url):
    page.goto(f"{server_url}/")
    page.fill("#document", "# Big\n\n" + "The model ranks items for users every day.\n" * 1200)
    page.click("#review-button")
    page.wait_for_selector("#message:not([hidden])")
    assert page.locator("#message").text_content().startswith("Too large:")
    page.set_input_files("#file", files=[{"name": "design.md", "mimeType": "text/markdown",
                                          "buffer": b"\xff\xfe\x00\x00binary\x00"}])
    page.wait_for_selector("#message:has-text('cannot be read as UTF-8')")
    page.set_input_files("#file", files=[{"name": "design.odt", "mimeType": "application/vnd.oasis.opendocument.text",
                                          "buffer": b"PK\x03\x04"}])
    page.wait_for_selector("#message:has-text('not a design the service reads')")
    # a file whose name says PDF but whose bytes are not one: the service's own message, on the page
    page.set_input_files("#file", files=[{"name": "design.pdf", "mimeType": "application/pdf",
                                          "buffer": b"# not a pdf\n"}])
    page.wait_for_selector("#message:has-text('sent as a file')")
    page.click("#review-button")
    page.wait_for_selector("#message:has-text('The service cannot review this')")
    assert "PDF" in page.locator("#message").text_content()
    page.set_input_files("#file", files=[{"name": "notes.txt", "mimeType": "text/plain",
                                          "buffer": b"Plain design notes."}])
    page.wait_for_selector("#message:has-text('Read notes.txt')")
    assert page.input_value("#document") == "Plain design notes." and page.input_value("#format") == "text"


def test_a_slow_review_shows_progress_and_can_be_cancelled(page, server_url):
    page.route("**/v1/reviews", lambda route: None)  # never answered: a review that takes forever
    page.goto(f"{server_url}/")
    page.fill("#document", design_with_pitfall())
    page.click("#review-button")
    assert page.locator("#progress").is_visible() and page.locator("#review-button").is_disabled()
    page.click("#cancel-button")
    page.wait_for_selector("#message:has-text('cancelled')")
    assert page.locator("#progress").is_hidden() and page.locator("#review-button").is_enabled()


def test_a_phone_width_window_reads_without_sideways_scrolling(page, server_url, shot, review_in_page):
    page.set_viewport_size({"width": 390, "height": 844})
    review_in_page(page, server_url, (REPO / "examples" / "recsys_design.md").read_text())
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("#chart svg [data-stage]").count() == 10
    shot(page, "review-page-phone")


def test_a_word_file_is_converted_by_the_service_and_shown_with_its_lines(page, server_url):
    """A .docx chosen on the page goes to the API as the file it is; the page shows the markdown the
    service converted it to, numbered as the review cites it."""
    data = (Path(__file__).resolve().parents[2] / "examples" / "recsys_design.docx").read_bytes()
    page.goto(f"{server_url}/")
    page.set_input_files("#file", files=[{"name": "recsys_design.docx", "buffer": data,
                                          "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}])
    page.wait_for_selector("#message:has-text('converted by the service')")
    page.click("#review-button")
    page.wait_for_selector("#chart svg")
    assert page.locator("#chart svg [data-stage]").count() == 10
    lines = page.locator("#doc li.line").count()
    assert lines > 20 and page.locator("#doc-note").is_hidden()
    assert page.locator("#doc li.line").first.text_content().lstrip("0123456789").startswith("#")
