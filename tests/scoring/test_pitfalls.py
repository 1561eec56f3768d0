"""Pitfalls: wrong decisions found at the lines that make them, near-misses left alone."""

from __future__ import annotations

import pytest

from app.document.parse import parse_document
from app.scoring.pitfalls import DETECTORS, find_pitfalls

from helpers import line_of, read_fixture

RANDOM_SPLIT = "pitfall.random_split_time_data"
PREPROCESSING = "pitfall.preprocessing_leakage"
ACCURACY = "pitfall.accuracy_on_imbalanced"


def pitfalls_of(reviewer, name: str) -> dict:
    return {p.id: p for p in reviewer.review(read_fixture(name)).pitfalls}


def flagged_lines(finding) -> set[int]:
    return {n for e in finding.evidence for n in range(e.start_line, e.end_line + 1)}


def test_every_rubric_pitfall_has_a_detector(reviewer):
    assert {p.id for p in reviewer.rubric.pitfalls} <= set(DETECTORS)


@pytest.mark.parametrize("fixture, pitfall, needle", [
    ("random_split.md", RANDOM_SPLIT, "randomly split 80/20"),
    ("accuracy_headline.md", ACCURACY, "headline metric is accuracy"),
])
def test_the_mistake_is_flagged_at_exactly_its_line(reviewer, fixture, pitfall, needle):
    found = pitfalls_of(reviewer, fixture)
    assert pitfall in found
    assert flagged_lines(found[pitfall]) == {line_of(read_fixture(fixture), needle)}


def test_split_by_week_is_not_flagged(reviewer):
    assert RANDOM_SPLIT not in pitfalls_of(reviewer, "week_split.md")


def test_same_design_without_the_week_split_is_flagged():
    """The control for the test above: the fixture names a random split and only the week saves it."""
    text = read_fixture("week_split.md").replace(
        "Instead of a random split, we split by week: training", "We use a random split: training")
    assert "random split: training" in text
    found = find_pitfalls(parse_document(text), set(DETECTORS))
    assert RANDOM_SPLIT in {f.pitfall for f in found}


def test_scaler_fitted_on_the_whole_table_is_flagged(reviewer):
    found = pitfalls_of(reviewer, "scaler_leak.md")
    assert PREPROCESSING in found
    line = line_of(read_fixture("scaler_leak.md"), "standard scaler on the whole table")
    assert line in flagged_lines(found[PREPROCESSING])


def test_scaler_fitted_on_the_training_split_only_is_not_flagged():
    text = read_fixture("scaler_leak.md").replace(
        "We fit a standard scaler on the whole table and impute missing incomes with the median, "
        "then split into train and test.",
        "We split into train and test first, then fit the standard scaler and the median "
        "imputation on the training split only.")
    assert "training split only" in text
    assert PREPROCESSING not in {f.pitfall for f in find_pitfalls(parse_document(text), set(DETECTORS))}


def test_accuracy_rejected_in_favour_of_pr_auc_is_not_flagged(reviewer):
    assert ACCURACY not in pitfalls_of(reviewer, "accuracy_rejected.md")


def test_a_concrete_sound_design_raises_no_pitfall(reviewer):
    assert pitfalls_of(reviewer, "fraud_metrics.md") == {}


@pytest.mark.parametrize("name, pitfall", [("random_split.md", RANDOM_SPLIT),
                                           ("scaler_leak.md", PREPROCESSING),
                                           ("accuracy_headline.md", ACCURACY)])
def test_findings_explain_themselves(reviewer, name, pitfall):
    finding = pitfalls_of(reviewer, name)[pitfall]
    spec = reviewer.rubric.pitfall(pitfall)
    assert finding.severity == spec.severity
    assert finding.why and finding.why != spec.title, "why comes from the corpus guidance"
    assert finding.questions == list(spec.questions)
    assert finding.guidance and all(g.source.startswith("corpus/pitfalls.md#") for g in finding.guidance)
    assert 0.0 < finding.confidence <= 1.0


def _found(text: str) -> set[str]:
    return {f.pitfall for f in find_pitfalls(parse_document(text), set(DETECTORS))}


@pytest.mark.parametrize("history, pitfall, committed", [
    # a practice the design has since replaced, told as history
    ("Before this the scaler was fitted on the full table once; now it is refit inside each fold.",
     PREPROCESSING, "The scaler is fitted on the full table once, and then we split."),
    # an option the author tried and measured as flattering
    ("We did try a shuffled 5-fold CV first: it was far more optimistic than the time holdout.",
     RANDOM_SPLIT, "We use a shuffled 5-fold CV over the two years of daily sales."),
])
def test_an_option_told_as_history_is_not_flagged_but_the_same_option_decided_is(history, pitfall, committed):
    preamble = "# Demand forecast\n\nDaily sales of 300 stores from 2021 to 2024.\n\n"
    assert pitfall not in _found(preamble + history + "\n")
    assert pitfall in _found(preamble + committed + "\n")


def test_a_trials_randomised_subjects_are_no_random_split():
    text = ("# Dropout risk\n\nData: 1,400 randomised subjects from the interim data cut of the trial.\n\n"
            "Validation: train on visits up to March, test on visits from April.\n")
    assert RANDOM_SPLIT not in _found(text)
