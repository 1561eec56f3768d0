"""The review itself, from the session reviewer over the session store and the real model."""

from __future__ import annotations

import hashlib

import pytest

from app.errors import UserError

from helpers import assert_review_shape, line_of, read_fixture, section_lines



def items_by_id(review) -> dict:
    return {i.id: i for s in review.stages for i in s.items}


def covered_ids(review) -> set[str]:
    return {i.id for i in items_by_id(review).values() if i.status == "covered"}


@pytest.fixture(scope="module")
def fraud_text() -> str:
    return read_fixture("fraud_metrics.md")


@pytest.fixture(scope="module")
def fraud_review(reviewer, fraud_text):
    return reviewer.review(fraud_text)


def test_concrete_metrics_section_covers_offline_accuracy(fraud_review, fraud_text):
    item = items_by_id(fraud_review)["metrics.offline_accuracy"]
    assert item.status == "covered"
    assert item.evidence
    metrics = section_lines(fraud_text, "## Metrics")
    for e in item.evidence:
        assert e.start_line in metrics and e.end_line in metrics, (e, metrics)


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
        # a gap for exactly the items that are not covered
        assert [g.item for g in stage.gaps] == [i.id for i in stage.items if i.status != "covered"]


def test_stage_scores_are_the_weighted_mean_of_item_credits(fraud_review, reviewer):
    weights = {i.id: i.weight for i in reviewer.rubric.items()}
    for stage in fraud_review.stages:
        assert all(i.weight == weights[i.id] for i in stage.items)
        expected = sum(i.credit * i.weight for i in stage.items) / sum(i.weight for i in stage.items)
        assert stage.score == pytest.approx(expected, abs=1e-3), stage.id


def test_item_status_follows_the_documented_bands(fraud_review, reviewer):
    partial_at = reviewer.scorer.model.partial_at
    items = [i for s in fraud_review.stages for i in s.items]
    assert all(i.credit < partial_at for i in items if i.status == "missing")
    assert all(i.credit >= partial_at for i in items if i.status == "partial")
    covered = [i.credit for i in items if i.status == "covered"]
    missing = [i.credit for i in items if i.status == "missing"]
    assert covered and missing
    assert sum(covered) / len(covered) > sum(missing) / len(missing)


def test_overall_is_the_stage_weighted_mean_of_covered_shares(fraud_review, reviewer):
    assert all(0.0 <= s.covered_share <= 1.0 and 0.0 <= s.score <= 1.0 for s in fraud_review.stages)
    stage_weights = {g.id: g.weight for g in reviewer.rubric.stages}
    assert [s.weight for s in fraud_review.stages] == [g.weight for g in reviewer.rubric.stages]
    overall = (sum(s.covered_share * stage_weights[s.id] for s in fraud_review.stages)
               / sum(stage_weights.values()))
    assert fraud_review.overall.score == pytest.approx(overall, abs=1e-3)


def test_placeholder_design_scores_below_a_concrete_one(reviewer, fraud_review):
    empty = reviewer.review(read_fixture("empty_headings.md"))
    assert empty.overall.score < fraud_review.overall.score
    assert empty.overall.verdict == "insufficient"


def test_gap_guidance_comes_from_the_items_own_corpus_file(fraud_review, reviewer):
    gaps = fraud_review.gaps()
    assert gaps
    for gap in gaps:
        group = reviewer.rubric.group(reviewer.rubric.item(gap.item).group)
        assert gap.guidance, gap.item
        assert all(g.source.startswith(group.source + "#") for g in gap.guidance), gap.item
        assert gap.questions == list(reviewer.rubric.item(gap.item).questions)


def test_empty_headings_and_tbd_cover_nothing(reviewer):
    review = reviewer.review(read_fixture("empty_headings.md"))
    assert covered_ids(review) == set()


def test_tbd_and_empty_heading_add_no_coverage(reviewer, fraud_text, fraud_review):
    padded = fraud_text.rstrip("\n") + "\n\n## Deployment\n\nTBD\n\n## Monitoring\n"
    review = reviewer.review(padded)
    assert covered_ids(review) <= covered_ids(fraud_review)
    deployment = next(s for s in review.stages if s.id == "deployment")
    assert all(i.status != "covered" for i in deployment.items)
    empty = {line_of(padded, "## Deployment"), line_of(padded, "TBD"), line_of(padded, "## Monitoring")}
    for item in items_by_id(review).values():
        if item.status == "covered":
            assert {e.start_line for e in item.evidence} - empty, item.id


def test_plain_text_without_headings_gets_a_full_review(reviewer):
    text = read_fixture("plain_design.txt")
    review = reviewer.review(text, fmt="text")
    assert_review_shape(review.model_dump(mode="json"))
    assert len(review.stages) == 10
    assert sum(len(s.items) for s in review.stages) == sum(len(g.items) for g in reviewer.rubric.stages)
    accuracy = items_by_id(review)["metrics.offline_accuracy"]
    assert accuracy.status != "missing"
    mae = line_of(text, "We measure MAE")
    assert any(e.start_line <= mae <= e.end_line for e in accuracy.evidence)


def test_a_review_is_the_same_whether_its_windows_were_cached_or_not(reviewer, settings):
    from app.review.build import build_reviewer

    text = read_fixture("fraud_metrics.md") + "\n## Risks\n\nLabels arrive 60 days late; we retrain weekly.\n"
    warm = reviewer.review(text)
    cold_reviewer = build_reviewer(settings)
    cold_reviewer.embedder._cache.clear()
    cold = cold_reviewer.review(text)
    strip = lambda r: r.model_dump(exclude={"id", "created_at", "reviewer"})
    assert strip(cold) == strip(warm)


def test_items_only_named_are_at_most_partial_and_unnamed_ones_earn_nothing(reviewer):
    text = ("# Churn model\n\n## Scope\n\n"
            "Key technologies: canary releases, shadow deployment, A/B testing, feature store, "
            "drift monitoring, calibration.\n\n## Deployment\n\nTBD\n")
    review = reviewer.review(text)
    items = items_by_id(review)
    named = [items[i] for i in ("deployment.canary", "deployment.shadow")]
    assert all(i.status != "covered" and i.credit <= 0.5 for i in named)
    assert review.overall.score < 0.15
    never = [items[i] for i in ("modeling.loss", "data.augmentation", "serving.compression")]
    assert all(i.status == "missing" and i.credit == 0.0 for i in never)


def test_a_built_reviewer_runs_blas_on_one_thread(reviewer):
    """Spinning BLAS helper threads doubled a review's CPU time; build_reviewer turns them off."""
    from threadpoolctl import threadpool_info

    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas, "numpy should load a BLAS library"
    assert all(pool["num_threads"] == 1 for pool in blas), blas
