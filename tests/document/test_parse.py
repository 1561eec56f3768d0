"""Parsing design documents into windows with 1-based line numbers, and the input checks."""

from __future__ import annotations

import hashlib

import pytest

from app.document.parse import check_limits, decode_document, parse_document
from app.errors import DocumentTooLarge, UserError

from helpers import line_of, read_fixture

MARKDOWN = """\
# Search ranking design

<!-- reviewer note: the secret launch date goes here -->

## Goals

We rank products for a text query on the shop.
The ranker must answer within 80 ms at p99. It runs on
CPU only, so the model stays small.

- Candidates come from the inverted index.
- A learned ranker
  re-scores the top 200 candidates.

| metric | target |
| --- | --- |
| NDCG@10 | 0.45 |
| p99 latency | 80 ms |

<!--
a hidden paragraph about the private roadmap
-->
The inline note <!-- private aside --> is dropped but the sentence stays.
"""


@pytest.fixture(scope="module")
def doc():
    return parse_document(MARKDOWN)


def window_with(doc, needle: str):
    found = [w for w in doc.windows if needle in w.text]
    assert len(found) == 1, f"{needle!r} in {len(found)} windows: {found}"
    return found[0]


def test_headings_are_windows_on_their_own_line(doc):
    for title in ("Search ranking design", "Goals"):
        w = window_with(doc, title)
        assert w.kind == "heading"
        assert w.start_line == w.end_line == line_of(MARKDOWN, f"# {title}")


def test_headings_carry_level_and_section_span(doc):
    top, goals = doc.headings
    assert (top.title, top.level, top.start_line) == ("Search ranking design", 1, 1)
    assert (goals.title, goals.level) == ("Goals", 2)
    assert goals.start_line == line_of(MARKDOWN, "## Goals")
    assert goals.end_line >= line_of(MARKDOWN, "is dropped but the sentence stays")
    assert doc.title == "Search ranking design"


def test_one_line_paragraph_keeps_its_line(doc):
    w = window_with(doc, "We rank products for a text query")
    assert w.kind == "paragraph"
    assert w.start_line == w.end_line == line_of(MARKDOWN, "We rank products")
    assert w.section == "Goals"


def test_multi_line_paragraph_is_split_into_sentences_with_their_lines(doc):
    first = window_with(doc, "The ranker must answer within 80 ms")
    second = window_with(doc, "It runs on CPU only")
    assert "It runs" not in first.text
    assert first.start_line == first.end_line == line_of(MARKDOWN, "The ranker must answer")
    # the second sentence starts on the line of the first and ends on the next one
    assert second.start_line == line_of(MARKDOWN, "The ranker must answer")
    assert second.end_line == line_of(MARKDOWN, "CPU only, so the model stays small")


def test_bullets_are_list_items_with_their_lines(doc):
    one = window_with(doc, "Candidates come from the inverted index")
    two = window_with(doc, "re-scores the top 200 candidates")
    assert one.kind == two.kind == "list_item"
    assert one.start_line == one.end_line == line_of(MARKDOWN, "- Candidates come from")
    assert (two.start_line, two.end_line) == (line_of(MARKDOWN, "- A learned ranker"),
                                              line_of(MARKDOWN, "re-scores the top 200"))
    assert "A learned ranker re-scores" in two.text


def test_table_rows_are_windows_with_their_lines(doc):
    for cell, line in (("NDCG@10", "| NDCG@10 |"), ("p99 latency", "| p99 latency |")):
        w = window_with(doc, cell)
        assert w.kind == "table_row"
        assert w.start_line == w.end_line == line_of(MARKDOWN, line)
    assert not any(set(w.text) <= set("-| ") for w in doc.windows), "the delimiter row is no window"


def test_html_comments_are_dropped(doc):
    text = " ".join(w.text for w in doc.windows)
    for hidden in ("secret launch date", "private roadmap", "private aside", "<!--", "-->"):
        assert hidden not in text
    w = window_with(doc, "is dropped but the sentence stays")
    assert w.start_line == line_of(MARKDOWN, "The inline note")


def test_every_window_lies_inside_the_document(doc):
    n = len(doc.lines)
    assert doc.windows
    assert all(1 <= w.start_line <= w.end_line <= n for w in doc.windows)


def test_quote_returns_the_lines_own_text(doc):
    a = line_of(MARKDOWN, "The ranker must answer")
    assert doc.quote(a, a + 1) == ("The ranker must answer within 80 ms at p99. It runs on "
                                   "CPU only, so the model stays small.")
    assert len(doc.quote(1, len(doc.lines), limit=40)) <= 40


def test_document_info_counts_and_hash(doc):
    assert doc.sha256 == hashlib.sha256(MARKDOWN.encode()).hexdigest()
    assert doc.words == len(MARKDOWN.split())
    assert len(doc.lines) == MARKDOWN.count("\n") + 1


def test_plain_text_without_headings_still_yields_windows():
    text = read_fixture("plain_design.txt")
    doc = parse_document(text, fmt="text")
    assert doc.headings == ()
    assert doc.title == "Delivery time estimates for the grocery app"
    covered = {n for w in doc.windows for n in range(w.start_line, w.end_line + 1)}
    assert {n for n, line in enumerate(doc.lines, start=1) if line.strip()} <= covered
    w = window_with(doc, "We split by week")
    assert w.start_line == line_of(text, "We split by week")
    assert {w.kind for w in doc.windows} == {"paragraph"}


def test_plain_text_sentence_across_lines_spans_both_lines():
    text = "Title line here\n\nFirst sentence is short here. The second one wraps\nonto this line.\n"
    doc = parse_document(text, fmt="text")
    w = window_with(doc, "The second one wraps onto this line.")
    assert (w.start_line, w.end_line) == (3, 4)


def test_explicit_title_wins():
    assert parse_document("# Heading\n\nBody text.", title="Given").title == "Given"


def test_decode_accepts_utf8_and_normalises_newlines_and_bom():
    raw = "\ufeff# Café\r\nline two\rline three".encode("utf-8")
    assert decode_document(raw) == "# Café\nline two\nline three"


def test_decode_refuses_invalid_utf8():
    with pytest.raises(UserError, match="UTF-8"):
        decode_document(b"# Design\n\xff\xfe broken bytes")


def test_decode_refuses_nul_bytes_in_bytes_and_text():
    with pytest.raises(UserError, match="NUL"):
        decode_document(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(UserError, match="NUL"):
        decode_document("text with a \x00 inside")


def test_decode_refuses_lone_surrogates():
    with pytest.raises(UserError):
        decode_document("half a pair \ud800 here")


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \n"])
def test_check_limits_refuses_empty_and_whitespace(text):
    with pytest.raises(UserError, match="empty") as caught:
        check_limits(text, max_bytes=1000, max_lines=100)
    assert not isinstance(caught.value, DocumentTooLarge)


def test_check_limits_refuses_too_many_bytes_counting_utf8():
    check_limits("a" * 100, max_bytes=100, max_lines=10)
    with pytest.raises(DocumentTooLarge, match="bytes"):
        check_limits("a" * 101, max_bytes=100, max_lines=10)
    with pytest.raises(DocumentTooLarge):
        check_limits("é" * 60, max_bytes=100, max_lines=10)  # 60 characters, 120 bytes


def test_check_limits_refuses_too_many_lines():
    check_limits("x\n" * 9 + "x", max_bytes=10_000, max_lines=10)
    with pytest.raises(DocumentTooLarge, match="lines"):
        check_limits("x\n" * 10 + "x", max_bytes=10_000, max_lines=10)


def test_too_large_is_a_user_error_with_status_413():
    assert issubclass(DocumentTooLarge, UserError)
    assert DocumentTooLarge.status_code == 413 and UserError.status_code == 422
