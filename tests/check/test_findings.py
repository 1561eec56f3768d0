"""One document's check (app/check/findings.py): its findings, which of them fail under the policy,
thresholds, disabled and weighted items, waivers, forced topics, and the comparison with a baseline.

Which items the scorer covers in a fixture depends on its fitted weights (app/scoring/weights.json),
so these tests state the rules against the review being judged: its own scores, the items it leaves
uncovered (tests/fixtures/empty_headings.md, a design of headings and "TBD", leaves many). Where one
needs a failing finding, a line that makes a pitfall (a rule of app/scoring/pitfalls/) makes it.
"""

from __future__ import annotations

import re

import pytest

from app.check.findings import Previous, compare, evaluate, settle
from app.check.policy import Policy
from app.review.model import SEVERITY_RANK

from helpers import CHECK_FIXTURES, PITFALL, PITFALL_LINE, line_of

PLACEHOLDER = "empty_headings.md"


def failing_rules(result) -> set[str]:
    return {f.rule for f in result.failing}


def stage_items(result) -> dict:
    return {i.id: i for s in result.review.stages for i in s.items}


def test_a_document_fails_exactly_on_its_failing_findings_and_fail_on_sets_the_bar(judge):
    for name in ("good.md", "weak.md", "waived.md", PLACEHOLDER):
        result = judge(name)
        assert result.status == ("fail" if result.failing else "pass"), name
        for f in result.findings:  # no thresholds in the default policy
            assert f.failing == (f.severity == "critical" and f.waiver is None), (name, f.key)
        assert not judge(name, Policy(fail_on="none")).failing, name
        warning = judge(name, Policy(fail_on="warning"))
        assert {f.key for f in warning.failing} == {
            f.key for f in warning.findings if f.severity != "info" and f.waiver is None}, name
    for name in ("good.md", "weak.md"):  # nothing waived or disabled: the review's own score
        result = judge(name)
        assert result.score == result.review.overall.score and result.verdict == result.review.overall.verdict


def test_a_pitfall_line_fails_the_document_whatever_else_it_covers(judge):
    text = (CHECK_FIXTURES / "weak.md").read_text() + PITFALL_LINE + "\n"
    result = judge("weak.md", text=text)
    pitfall = next(f for f in result.findings if f.rule == PITFALL)
    assert pitfall.kind == "pitfall" and pitfall.severity == "critical" and pitfall.failing
    assert result.status == "fail"
    assert pitfall.line == text.split("\n").index(PITFALL_LINE) + 1


def test_thresholds_fail_below_their_minimum_and_not_at_it(judge):
    good = judge("good.md")
    metrics = next(g for g in good.groups if g.id == "metrics")
    at_minimum = Policy(fail_under=good.score, stage_min={"metrics": metrics.score}, fail_on="none",
                        require_stages=frozenset(g.id for g in good.groups if g.kind == "stage" and g.covered),
                        require_items=frozenset(i for i, v in stage_items(good).items() if v.status == "covered"))
    assert not [f for f in judge("good.md", at_minimum).findings if f.kind == "threshold"]
    above = judge("good.md", Policy(fail_under=good.score + 0.01, stage_min={"metrics": metrics.score + 0.01},
                                    fail_on="none"))
    assert failing_rules(above) == {"design-review/fail-under", "design-review/stage-minimum"}
    messages = {f.key: f.message for f in above.failing}
    assert f"under the minimum {good.score + 0.01:.2f}" in messages["threshold:overall"]
    assert f"under its minimum {metrics.score + 0.01:.2f}" in messages["threshold:stage:metrics"]


def test_every_threshold_fails_with_a_finding_each(judge, source):
    """Each threshold set just past what the design reaches: a stage left with no covered item
    (its covered items disabled), an item it does not cover, an item of a topic it does not have."""
    plain = judge("good.md")
    items = stage_items(plain)
    stage = next(s for s in plain.review.stages if any(i.status != "covered" for i in s.items))
    uncovered = next(i.id for i in stage.items if i.status != "covered")
    unseen = next(t for t in source.rubric.topics if t.id not in {x.id for x in plain.review.topics}).items[0].id
    emptied = Policy(disabled=frozenset(i.id for i in stage.items if i.status == "covered"), fail_on="none")
    base = judge("good.md", emptied)
    metrics = next(g for g in base.groups if g.id == "metrics")
    policy = Policy(disabled=emptied.disabled, fail_on="none", fail_under=base.score + 0.01,
                    stage_min={"metrics": metrics.score + 0.01}, require_stages=frozenset({stage.id}),
                    require_items=frozenset({uncovered, unseen}))
    result = judge("good.md", policy)
    assert failing_rules(result) == {"design-review/fail-under", "design-review/stage-minimum",
                                     "design-review/required-stage", "design-review/required-item"}
    messages = {f.key: f.message for f in result.failing}
    assert f"under its minimum {metrics.score + 0.01:.2f}" in messages["threshold:stage:metrics"]
    assert "covers none of its items" in messages[f"threshold:required-stage:{stage.id}"]
    assert messages[f"threshold:required-item:{uncovered}"].endswith(f"but it is {items[uncovered].status}")
    assert "not checked (its topic was not detected)" in messages[f"threshold:required-item:{unseen}"]
    stage_line = next(f.line for f in result.findings if f.key == "threshold:stage:metrics")
    assert stage_line == line_of((CHECK_FIXTURES / "good.md").read_text(), "## Metrics")  # its section


def test_disabled_stages_leave_the_score_and_weights_change_stage_scores(judge):
    plain = judge("good.md")
    policy = Policy(disabled=frozenset({"deep_dive", "features.privacy", "pitfall.label_leakage"}),
                    weights={"problem.need_ml": 10.0})
    result = judge("good.md", policy)
    by_id = {g.id: g for g in result.groups}
    assert by_id["deep_dive"].excluded == "disabled"
    assert not any(f.group == "deep_dive" or f.rule in policy.disabled for f in result.findings)
    # The overall score: the stage-weighted covered shares of the stages left.
    weights = {s.id: s.weight for s in plain.review.stages}
    kept = [g for g in result.groups if g.kind == "stage" and g.excluded is None]
    assert "deep_dive" not in {g.id for g in kept}
    expected = sum(g.covered_share * weights[g.id] for g in kept) / sum(weights[g.id] for g in kept)
    assert result.score == round(expected, 4) and 0 <= result.score <= 1
    # A heavier item counts for more of its stage.
    problem = next(s for s in plain.review.stages if s.id == "problem")
    w = {i.id: 10.0 if i.id == "problem.need_ml" else i.weight for i in problem.items}
    assert by_id["problem"].score == round(sum(i.credit * w[i.id] for i in problem.items) / sum(w.values()), 4)


def test_a_missing_core_item_weighted_past_the_stake_is_critical(judge, source):
    """Severity: a missing core item is critical when its weight x its stage's weight reaches 3."""
    rubric = source.rubric
    for name in (PLACEHOLDER, "weak.md", "good.md"):
        plain = judge(name)
        items = stage_items(plain)
        item = next((i for i in rubric.items() if i.core and i.id in items and items[i.id].status == "missing"
                     and i.weight * rubric.group(i.group).weight < 3), None)
        if item:
            break
    else:
        pytest.fail("no fixture leaves a light core item missing")
    assert item.id not in failing_rules(plain)
    heavy = judge(name, Policy(weights={item.id: 3.0 / rubric.group(item.group).weight + 1}))
    gap = next(f for f in heavy.findings if f.rule == item.id)
    assert gap.severity == "critical" and gap.failing


def test_waived_items_stay_in_the_report_and_never_fail(judge):
    text = (CHECK_FIXTURES / "waived.md").read_text()
    everything = Policy(fail_on="info")  # every gap fails unless waived
    result = judge("waived.md", everything)
    unwaived = judge("waived.md", everything, text=re.sub(r"<!--.*?-->", "", text))
    # Comments are not the document: the scorer sees the same text either way.
    assert {i: (v.status, v.credit) for i, v in stage_items(result).items()} == {
        i: (v.status, v.credit) for i, v in stage_items(unwaived).items()}
    waived = {f.rule: f.waiver.reason for f in result.findings if f.waiver}
    assert waived, "the fixture waives items it leaves uncovered"
    reasons = {"problem.ml_io": "inputs and labels are fixed by the data contract",
               "data.labeling": "inputs and labels are fixed by the data contract", "modeling.splits": "",
               "modeling.offline_evaluation": "evaluated in the shared forecasting harness"}
    for rule, reason in waived.items():  # a whole stage's waiver covers each of its items
        assert reason == ("metrics are owned by the logistics analytics design" if rule.startswith("metrics.")
                          else reasons[rule]), rule
    by_key = {f.key: f for f in result.findings}
    for f in unwaived.findings:
        if f.kind in ("gap", "pitfall"):
            kept = by_key[f.key]
            assert f.failing and kept.failing == (kept.waiver is None), f.key
    assert next(g for g in result.groups if g.id == "metrics").excluded == "waived"
    problems = {f.rule: f.line for f in result.findings if f.kind == "waiver"}
    assert problems == {"design-review/waiver-without-reason": 5, "design-review/waiver-unknown-id": 7}


def test_topics_forced_on_are_scored_and_topics_off_are_dropped(judge, source):
    plain = judge("good.md")
    detected = [t.id for t in plain.review.topics]
    topic = next(t for t in source.rubric.topics if t.id not in detected)
    required = topic.items[0].id
    forced = judge("good.md", Policy(topics_on=frozenset({topic.id}), require_items=frozenset({required})))
    assert [t.id for t in forced.review.topics] == detected + [topic.id]
    assert {i.topic for i in forced.review.topic_items} == {*detected, topic.id}
    assert any(g.id == topic.id and g.kind == "topic" for g in forced.groups)
    status = next(i.status for i in forced.review.topic_items if i.id == required)
    findings = [f for f in forced.findings if f.rule == "design-review/required-item"]
    if status == "covered":
        assert not findings
    else:
        assert findings[0].message.endswith(f"but it is {status}")
    dropped = evaluate("x.md", forced.review, source.rubric, Policy(topics_off=frozenset({topic.id})), [], [])
    assert topic.id not in {t.id for t in dropped.review.topics}
    assert not any(f.group == topic.id for f in dropped.findings)


def test_a_baseline_fails_only_new_findings_and_score_drops(judge):
    weak = judge("weak.md")
    previous = Previous({f.key: f.severity for f in weak.findings}, weak.score)
    edited = judge("weak.md", text=(CHECK_FIXTURES / "weak.md").read_text() + PITFALL_LINE + "\n")
    compare(edited, previous, Policy())
    settle(edited, Policy())
    assert PITFALL in failing_rules(edited)
    for f in edited.findings:
        old = previous.severities.get(f.key)
        known = old is not None and SEVERITY_RANK[old] >= SEVERITY_RANK[f.severity]
        assert f.baseline_state == ("unchanged" if known else "new"), f.key
        assert not (known and f.failing), f.key
    assert {f.baseline_state for f in edited.findings} == {"new", "unchanged"}
    # A finding whose severity rose since the baseline is new again.
    raised = judge(PLACEHOLDER)
    compare(raised, Previous({f.key: "info" for f in raised.findings}, raised.score), Policy())
    states = {f.key: f.baseline_state for f in raised.findings}
    assert states == {f.key: "unchanged" if f.severity == "info" else "new" for f in raised.findings}
    assert "new" in states.values()
    dropped = judge("weak.md")
    compare(dropped, Previous(previous.severities, weak.score + 0.2), Policy(max_drop=0.05))
    settle(dropped, Policy())
    assert failing_rules(dropped) == {"design-review/score-drop"}
    fresh = judge("weak.md")
    compare(fresh, None, Policy())
    settle(fresh, Policy())
    assert fresh.baseline == "new" and failing_rules(fresh) == failing_rules(weak)
