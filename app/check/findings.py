"""One document's check: its review under the policy, as findings that pass or fail.

Disabled items and stages leave the review; item weights change stage scores and gap severities;
waived items stay in the report as waived but leave the scores (a waiver never fails a run).
Thresholds (overall, stage minimums, required stages and items) always fail; gaps and pitfalls
fail at or above `fail_on`; with a baseline, only findings the earlier version lacked fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Mapping

from app.check.policy import Policy
from app.check.sections import Section
from app.check.waivers import Waiver, WaiverProblem, find_waiver
from app.review.model import SEVERITY_RANK, Gap, ItemResult, Review
from app.review.rules import severity, verdict
from app.knowledge.rubric import Rubric

THRESHOLD = "threshold"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z])")
_BRIEF_MAX = 240


def first_sentence(text: str) -> str:
    """The first sentence of a paragraph, whitespace folded and cut at a readable length."""
    folded = " ".join(text.split())
    head = _SENTENCE_END.split(folded, maxsplit=1)[0]
    return head if len(head) <= _BRIEF_MAX else head[: _BRIEF_MAX - 1].rstrip() + "…"


@dataclass
class Finding:
    """Something the check reports about one document, located at lines of that document."""

    key: str  # stable across edits of the document: what a baseline is compared on
    rule: str  # a rubric item or pitfall id, or a design-review/... check rule
    kind: str  # gap | pitfall | threshold | waiver
    severity: str
    title: str
    message: str
    group: str  # the stage or topic id, "pitfalls", "overall" or "document"
    subject: str = ""  # the rubric id a waiver must name (the item, pitfall or stage)
    locations: list[tuple[int, int]] = field(default_factory=lambda: [(1, 1)])
    questions: tuple[str, ...] = ()
    brief: str = ""  # one short sentence, for annotations and the pull-request comment
    waiver: Waiver | None = None
    baseline_state: str | None = None  # new | unchanged, with a baseline
    failing: bool = False

    @property
    def line(self) -> int:
        return self.locations[0][0]

    @property
    def one_line(self) -> str:
        """The message with its whitespace folded, for one-line outputs."""
        return " ".join(self.message.split())

    @property
    def sentence(self) -> str:
        """One short sentence: what a reviewer reads first."""
        return self.brief or first_sentence(self.message)

    @property
    def end_line(self) -> int:
        return self.locations[0][1]

    @property
    def shown(self) -> bool:
        """Whether annotations show it: not waived, and new when there is a baseline."""
        return self.waiver is None and self.baseline_state != "unchanged"


@dataclass
class GroupCheck:
    """A stage or a detected (or forced) topic of one document, with its score and minimum."""

    id: str
    title: str
    kind: str  # stage | topic
    score: float | None
    covered: int
    items: int
    minimum: float | None = None
    required: bool = False
    excluded: str | None = None  # disabled | waived
    covered_share: float | None = None  # a stage's, as the overall score counts it


@dataclass(frozen=True)
class Previous:
    """What a baseline knew about a document: its findings' keys and severities, and its score."""

    severities: dict[str, str]
    score: float


@dataclass
class DocumentResult:
    """The check of one document, or why it could not be reviewed."""

    path: str
    review: Review | None = None
    error: str | None = None
    score: float = 0.0
    verdict: str = ""
    groups: list[GroupCheck] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    baseline: str | None = None  # compared | new, with a baseline
    baseline_score: float | None = None
    fixed: list[str] = field(default_factory=list)  # keys of the baseline's findings now gone

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.failing]

    @property
    def status(self) -> str:
        return "error" if self.error else ("fail" if self.failing else "pass")


def _items_by_group(review: Review, rubric: Rubric) -> dict[str, list[ItemResult]]:
    groups = {s.id: list(s.items) for s in review.stages}
    for item in review.topic_items:
        groups.setdefault(item.topic or rubric.item(item.id).group, []).append(item)
    return groups


def _active(items: list[ItemResult], group: str, policy: Policy, waivers: list[Waiver]) -> list[ItemResult]:
    return [i for i in items if i.id not in policy.disabled and not find_waiver(waivers, i.id, group)]


def _score(items: list[ItemResult], policy: Policy, value) -> float:
    """The weighted mean of value(item) under the policy's weights."""
    weights = [policy.weights.get(i.id, i.weight) for i in items]
    return sum(value(i) * w for i, w in zip(items, weights)) / sum(weights)


def _groups(review: Review, rubric: Rubric, policy: Policy, waivers: list[Waiver]) -> list[GroupCheck]:
    by_group = _items_by_group(review, rubric)
    out = []
    for stage in review.stages:
        items = by_group[stage.id]
        active = _active(items, stage.id, policy, waivers)
        changed = len(active) != len(items) or any(i.id in policy.weights for i in active)
        enabled = stage.id not in policy.disabled and any(i.id not in policy.disabled for i in items)
        excluded = "disabled" if not enabled else (None if active else "waived")
        if not changed:
            score, covered = stage.score, stage.covered_share
        else:
            score = _score(active, policy, lambda i: i.credit) if active else 0.0
            covered = _score(active, policy, lambda i: float(i.status == "covered")) if active else 0.0
        out.append(GroupCheck(stage.id, stage.title, "stage", round(score, 4),
                              sum(i.status == "covered" for i in active), len(active),
                              policy.stage_min.get(stage.id), stage.id in policy.require_stages, excluded,
                              None if covered is None else round(covered, 4)))
    for topic in review.topics:
        active = _active(by_group.get(topic.id, []), topic.id, policy, waivers)
        out.append(GroupCheck(topic.id, topic.title, "topic", None,
                              sum(i.status == "covered" for i in active), len(active)))
    return out


def _overall(review: Review, groups: list[GroupCheck]) -> tuple[float, str]:
    stages = [g for g in groups if g.kind == "stage"]
    originals = {s.id: s for s in review.stages}
    if all(g.excluded is None and g.score == originals[g.id].score for g in stages):
        return review.overall.score, review.overall.verdict

    # The reviewer's overall: the stage-weighted mean of the covered shares.
    kept = [(g.covered_share if g.covered_share is not None else g.score, originals[g.id].weight)
            for g in stages if g.excluded is None]
    total = sum(w for _, w in kept)
    score = round(sum(s * w for s, w in kept) / total, 4) if total else 0.0
    return score, verdict(score)


def _severity(gap: Gap, rubric: Rubric, policy: Policy) -> str:
    if gap.item not in policy.weights:
        return gap.severity

    item = rubric.item(gap.item)
    return severity(replace(item, weight=policy.weights[gap.item]), rubric.group(item.group), gap.status)


def _gap_findings(review: Review, rubric: Rubric, policy: Policy,
                  sections: Mapping[str, Section]) -> list[Finding]:
    """A finding per gap (at its cited lines, else its stage's section) and per pitfall (at its evidence)."""
    out = []
    cited = {i.id: [(e.start_line, e.end_line) for e in i.evidence]
             for items in _items_by_group(review, rubric).values() for i in items}
    for gap in review.gaps():
        group = rubric.item(gap.item).group
        if gap.item in policy.disabled or group in policy.disabled or group in policy.topics_off:
            continue
        section = sections.get(group)
        where = f" (belongs near line {section.line}: {section.title})" if section else ""
        out.append(Finding(
            key=f"gap:{gap.item}", rule=gap.item, kind="gap", severity=_severity(gap, rubric, policy),
            title=gap.title, message=f"{gap.title}: {gap.status}{where}. {gap.why}", group=group,
            subject=gap.item, locations=cited.get(gap.item) or _home(sections, group),
            questions=tuple(gap.questions), brief=f"{gap.status}: {first_sentence(gap.why)}"))
    for pit in review.pitfalls:
        if pit.id in policy.disabled:
            continue
        spans = [(e.start_line, e.end_line) for e in pit.evidence] or [(1, 1)]
        out.append(Finding(key=f"pitfall:{pit.id}", rule=pit.id, kind="pitfall", severity=pit.severity,
                           title=pit.title, message=f"{pit.title}. {pit.why}", group="pitfalls",
                           subject=pit.id, locations=spans, questions=tuple(pit.questions),
                           brief=first_sentence(pit.why)))
    return out


def _home(sections: Mapping[str, Section], group: str) -> list[tuple[int, int]]:
    """Where a finding about a stage or topic points: the line of its section, else line 1."""
    section = sections.get(group)
    return [(section.line, section.line)] if section else [(1, 1)]


def _threshold(key: str, rule: str, title: str, message: str, group: str, subject: str = "",
               locations: list[tuple[int, int]] | None = None, questions: tuple[str, ...] = ()) -> Finding:
    return Finding(key=key, rule=rule, kind=THRESHOLD, severity="critical", title=title, message=message,
                   group=group, subject=subject, locations=locations or [(1, 1)], questions=questions)


def _threshold_findings(result: DocumentResult, review: Review, rubric: Rubric, policy: Policy,
                        gaps: list[Finding], sections: Mapping[str, Section]) -> list[Finding]:
    """Findings for the overall score, stage minimums, required stages and required items."""
    out = []
    if result.score < policy.fail_under:
        out.append(_threshold("threshold:overall", "design-review/fail-under", "Overall score under the minimum",
                              f"overall score {result.score:.2f} is under the minimum {policy.fail_under:.2f}",
                              "overall"))
    for g in result.groups:
        if g.kind != "stage" or g.excluded == "disabled":
            continue
        if g.minimum is not None and g.score < g.minimum:
            out.append(_threshold(f"threshold:stage:{g.id}", "design-review/stage-minimum",
                                  f"{g.title}: score under the minimum",
                                  f"{g.title} scores {g.score:.2f}, under its minimum {g.minimum:.2f}",
                                  g.id, g.id, _home(sections, g.id)))
        if g.required and g.covered == 0:
            out.append(_threshold(f"threshold:required-stage:{g.id}", "design-review/required-stage",
                                  f"{g.title}: required stage is empty",
                                  f"{g.title} is required, but the design covers none of its items",
                                  g.id, g.id, _home(sections, g.id)))
    return out + _required_items(review, rubric, policy, gaps, sections)


def _required_items(review: Review, rubric: Rubric, policy: Policy, gaps: list[Finding],
                    sections: Mapping[str, Section]) -> list[Finding]:
    """A finding for each item the policy requires that the design does not cover."""
    out = []
    status = {i.id: i.status for items in _items_by_group(review, rubric).values() for i in items}
    for item_id in sorted(policy.require_items):
        if status.get(item_id) == "covered":
            continue
        item = rubric.item(item_id)
        seen = status.get(item_id, "not checked (its topic was not detected)")
        out.append(_threshold(f"threshold:required-item:{item_id}", "design-review/required-item",
                              f"Required: {item.title}",
                              f"{item.title} ({item_id}) is required by the repository's policy, but it is {seen}",
                              item.group, item_id,
                              next((f.locations for f in gaps if f.rule == item_id), None)
                              or _home(sections, item.group), item.questions))
    return out


def _waiver_findings(problems: list[WaiverProblem]) -> list[Finding]:
    return [Finding(key=f"waiver:{p.rule}:{','.join(p.ids)}", rule=p.rule, kind="waiver", severity="warning",
                    title="Waiver problem", message=p.message, group="document", locations=[(p.line, p.line)])
            for p in problems]


def evaluate(path: str, review: Review, rubric: Rubric, policy: Policy, waivers: list[Waiver],
             problems: list[WaiverProblem], sections: Mapping[str, Section] | None = None) -> DocumentResult:
    """The document's findings under the policy, located with the design's sections; `settle`
    decides which of them fail."""
    review = _without_topics(review, policy)
    sections = sections or {}
    groups = _groups(review, rubric, policy, waivers)
    score, verdict = _overall(review, groups)
    result = DocumentResult(path, review, score=score, verdict=verdict, groups=groups, waivers=waivers)
    gaps = _gap_findings(review, rubric, policy, sections)
    result.findings = gaps + _threshold_findings(result, review, rubric, policy, gaps, sections) \
        + _waiver_findings(problems)
    for f in result.findings:
        if f.subject:
            f.waiver = find_waiver(waivers, f.subject, f.group)
    return result


def _without_topics(review: Review, policy: Policy) -> Review:
    off = policy.topics_off | policy.disabled
    if not off & {t.id for t in review.topics}:
        return review
    return review.model_copy(update={
        "topics": [t for t in review.topics if t.id not in off],
        "topic_items": [i for i in review.topic_items if i.topic not in off],
        "topic_gaps": [g for g in review.topic_gaps if g.item.split(".")[0] not in off]})


def compare(result: DocumentResult, previous: Previous | None, policy: Policy) -> None:
    """Mark each finding new or unchanged against a baseline; add a finding for a score drop."""
    if previous is None:
        result.baseline = "new"
        for f in result.findings:
            f.baseline_state = "new"
        return
    result.baseline, result.baseline_score = "compared", previous.score
    result.fixed = sorted(set(previous.severities) - {f.key for f in result.findings})
    for f in result.findings:
        old = previous.severities.get(f.key)
        f.baseline_state = "unchanged" if old and SEVERITY_RANK[old] >= SEVERITY_RANK[f.severity] else "new"
    drop = previous.score - result.score
    if drop > policy.max_drop + 1e-9:
        finding = _threshold("threshold:drop", "design-review/score-drop", "Overall score dropped",
                             f"overall score fell from {previous.score:.2f} to {result.score:.2f} "
                             f"(by {drop:.2f}; at most {policy.max_drop:.2f} allowed)", "overall")
        finding.baseline_state = "new"
        result.findings.append(finding)


def settle(result: DocumentResult, policy: Policy) -> None:
    """Decide which findings fail: thresholds always, gaps and pitfalls from `fail_on`."""
    for f in result.findings:
        counts = f.kind == THRESHOLD or policy.fails_on(f.severity)
        f.failing = counts and f.waiver is None and f.baseline_state != "unchanged"
