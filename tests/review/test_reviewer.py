"""The review the reviewer assembles (app/review/reviewer.py), from the session reviewer over the session
store and the real model: its shape, its scores as the weighted means of its items, its evidence as
the document's own lines, its gaps with their guidance.

Which items a fixture covers depends on the scorer's fitted weights: that is a quality question for
the checks over labelled designs, not for these tests. (The scorer's rules, whatever its weights:
tests/scoring/test_local.py.)
"""

from __future__ import annotations

import hashlib

import pytest

from app.document.parse import parse_document

from helpers import assert_review_shape, read_fixture


def items_by_id(review) -> dict:
    return {i.id: i for s in review.stages for i in s.items}


@pytest.fixture(scope="module")
def fraud_text() -> str:
    return read_fixture("fraud_metrics.md")


@pytest.fixture(scope="module")
def fraud_review(reviewer, fraud_text):
    return reviewer.review(fraud_text)


def test_evidence_spans_are_windows_of_the_document(fraud_review, fraud_text):
    """Evidence is never a span the parser did not cut: a paragraph, a list item, a table row, a
    heading, or windows that overlap merged into one span."""
    windows = parse_document(fraud_text).windows
    evidence = [e for i in items_by_id(fraud_review).values() for e in i.evidence]
    assert evidence
    for e in evidence:
        inside = [w for w in windows if e.start_line <= w.start_line and w.end_line <= e.end_line]
        assert inside and min(w.start_line for w in inside) == e.start_line, e
        assert max(w.end_line for w in inside) == e.end_line, e


def test_evidence_quotes_are_the_documents_own_lines(fraud_review, fraud_text):
    lines = fraud_text.split("\n")
    evidence = [e for i in items_by_id(fraud_review).values() for e in i.evidence]
    assert evidence
    for e in evidence:
        own = " ".join(" ".join(lines[e.start_line - 1 : e.end_line]).split())
        assert e.quote == own or (e.quote.endswith("…") and own.startswith(e.quote[:-1])), e


def test_review_json_has_the_stable_fields(fraud_review, fraud_text, reviewer):
    data = fraud_review.model_dump(mode="json")
    assert_review_shape(data)
    assert data["document"]["sha256"] == hashlib.sha256(fraud_text.encode()).hexdigest()
    assert data["document"]["lines"] == len(fraud_text.split("\n"))
    assert data["document"]["title"] == "Card fraud scoring for online payments"
    assert data["reviewer"]["rubric_version"] == reviewer.rubric.version
    assert data["reviewer"]["corpus_version"] == reviewer.corpus_version


def test_every_stage_and_item_of_the_rubric_is_scored(fraud_review, reviewer):
    assert [s.id for s in fraud_review.stages] == [g.id for g in reviewer.rubric.stages]
    for stage, group in zip(fraud_review.stages, reviewer.rubric.stages):
        assert [i.id for i in stage.items] == [i.id for i in group.items]
        # a gap for exactly the items that are partial or missing
        assert [g.item for g in stage.gaps] == [i.id for i in stage.items if i.status in ("partial", "missing")]


def test_stage_scores_are_the_weighted_mean_of_item_credits(fraud_review, reviewer):
    weights = {i.id: i.weight for i in reviewer.rubric.items()}
    for stage in fraud_review.stages:
        assert all(i.weight == weights[i.id] for i in stage.items)
        counted = [i for i in stage.items if i.status != "not_applicable"] or stage.items
        expected = sum(i.credit * i.weight for i in counted) / sum(i.weight for i in counted)
        assert stage.score == pytest.approx(expected, abs=1e-3), stage.id


def test_overall_is_the_stage_weighted_mean_of_covered_shares(fraud_review, reviewer):
    assert all(0.0 <= s.covered_share <= 1.0 and 0.0 <= s.score <= 1.0 for s in fraud_review.stages)
    stage_weights = {g.id: g.weight for g in reviewer.rubric.stages}
    assert [s.weight for s in fraud_review.stages] == [g.weight for g in reviewer.rubric.stages]
    overall = (sum(s.covered_share * stage_weights[s.id] for s in fraud_review.stages)
               / sum(stage_weights.values()))
    assert fraud_review.overall.score == pytest.approx(overall, abs=1e-3)


def test_gap_guidance_comes_from_the_items_own_corpus_file(fraud_review, reviewer):
    gaps = fraud_review.gaps()
    assert gaps
    for gap in gaps:
        group = reviewer.rubric.group(reviewer.rubric.item(gap.item).group)
        assert gap.guidance, gap.item
        assert all(g.source.startswith(group.source + "#") for g in gap.guidance), gap.item
        assert gap.questions == [q.text for q in gap.question_details]
        if gap.status == "missing":  # a partial item asks about its own lines (tests/review/test_questions.py)
            assert gap.questions == list(reviewer.rubric.item(gap.item).questions)


def test_plain_text_without_headings_gets_a_full_review(reviewer):
    text = read_fixture("plain_design.txt")
    review = reviewer.review(text, fmt="text")
    assert_review_shape(review.model_dump(mode="json"))
    assert len(review.stages) == 10
    assert sum(len(s.items) for s in review.stages) == sum(len(g.items) for g in reviewer.rubric.stages)
    assert review.document.title == "Delivery time estimates for the grocery app"
    windows = {(w.start_line, w.end_line) for w in parse_document(text, fmt="text").windows}
    assert {(e.start_line, e.end_line) for i in items_by_id(review).values() for e in i.evidence} <= windows


def test_a_review_is_the_same_whether_its_windows_were_cached_or_not(reviewer, settings):
    from app.review.build import build_reviewer

    text = read_fixture("fraud_metrics.md") + "\n## Risks\n\nLabels arrive 60 days late; we retrain weekly.\n"
    warm = reviewer.review(text)
    cold_reviewer = build_reviewer(settings)
    cold_reviewer.embedder._cache.clear()
    cold = cold_reviewer.review(text)
    strip = lambda r: r.model_dump(exclude={"id", "created_at", "reviewer"})
    assert strip(cold) == strip(warm)


def test_a_built_reviewer_runs_blas_on_one_thread(reviewer):
    """Spinning BLAS helper threads doubled a review's CPU time; build_reviewer turns them off."""
    from threadpoolctl import threadpool_info

    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas, "numpy should load a BLAS library"
    assert all(pool["num_threads"] == 1 for pool in blas), blas
