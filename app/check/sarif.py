"""SARIF 2.1.0: one rule per rubric item, pitfall and check rule; one result per finding."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import quote

from app.check.findings import Finding
from app.check.reports import pretty_json
from app.check.runner import CheckReport
from app.review.render import html_safe
from app.review.rules import severity
from app.knowledge.rubric import Rubric

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"critical": "error", "warning": "warning", "info": "note"}
CHECK_RULES = {
    "design-review/fail-under": ("Overall score under the repository's minimum (fail_under)", "critical"),
    "design-review/stage-minimum": ("Stage score under its minimum (stage_min)", "critical"),
    "design-review/required-stage": ("A required stage covers none of its items (require_stages)", "critical"),
    "design-review/required-item": ("A required item is not covered (require_items)", "critical"),
    "design-review/score-drop": ("Overall score dropped more than max_drop since the baseline", "critical"),
    "design-review/waiver-without-reason": ("An inline waiver gives no reason", "warning"),
    "design-review/waiver-unknown-id": ("An inline waiver names an id the rubric does not define", "warning"),
    "design-review/waiver-malformed": ("A design-review comment is not a waiver the check understands", "warning"),
    "design-review/unreviewable": ("The document could not be reviewed", "critical"),
}
_SEMVER = re.compile(r"^\d+\.\d+\.\d+")


def _name(rule_id: str) -> str:
    return "".join(p.capitalize() for p in re.split(r"[^a-zA-Z0-9]+", rule_id) if p)


def _rule(rule_id: str, title: str, severity: str, help_text: str, tags: list[str]) -> dict:
    return {"id": rule_id, "name": _name(rule_id), "shortDescription": {"text": title},
            "fullDescription": {"text": title}, "help": {"text": help_text or title},
            "defaultConfiguration": {"level": LEVEL[severity]}, "properties": {"tags": tags}}


def sarif_rules(rubric: Rubric) -> list[dict]:
    """Every rubric item and pitfall, then the check's own rules."""

    rules = []
    for group in (*rubric.stages, *rubric.topics):
        for item in group.items:
            rules.append(_rule(item.id, f"{group.title}: {item.title}", severity(item, group, "missing"),
                               "\n".join(item.questions), ["design-review", group.kind, group.id]))
    for pitfall in rubric.pitfalls:
        rules.append(_rule(pitfall.id, pitfall.title, pitfall.severity, "\n".join(pitfall.questions),
                           ["design-review", "pitfall"]))
    for rule_id, (title, sev) in CHECK_RULES.items():
        rules.append(_rule(rule_id, title, sev, title, ["design-review", "check"]))
    return rules


def _location(path: str, start: int, end: int | None = None) -> dict:
    absolute = Path(path).is_absolute()
    artifact = {"uri": Path(path).as_uri()} if absolute else {"uri": quote(path), "uriBaseId": "%SRCROOT%"}
    region = {"startLine": start, "endLine": max(start, end or start)}
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def _result(path: str, f: Finding, index: dict[str, int]) -> dict:
    ask = "\n".join(f"- {q}" for q in f.questions)
    result = {"ruleId": f.rule, "ruleIndex": index[f.rule], "level": LEVEL[f.severity],
              "message": {"text": f.one_line + (f"\nQuestions:\n{ask}" if ask else "")},
              "locations": [_location(path, *f.locations[0])],
              "partialFingerprints": {
                  "designReviewKey/v1": hashlib.sha256(f"{path}\0{f.key}".encode()).hexdigest()[:32]},
              "properties": {"failing": f.failing, "kind": f.kind, "group": f.group}}
    if len(f.locations) > 1:
        result["relatedLocations"] = [{"id": n, **_location(path, *span)}
                                      for n, span in enumerate(f.locations[1:], start=1)]
    if f.waiver is not None:
        result["suppressions"] = [{"kind": "inSource", "status": "accepted",
                                   "justification": html_safe(f.waiver.reason) if f.waiver.reason else "no reason given",
                                   "location": _location(path, f.waiver.line)}]
    if f.baseline_state:
        result["baselineState"] = f.baseline_state
    return result


def sarif_log(report: CheckReport) -> dict:
    """The SARIF log as a dict."""
    rules = sarif_rules(report.rubric)
    index = {r["id"]: n for n, r in enumerate(rules)}
    t = report.tool
    driver = {"name": t.name, "version": t.version, "rules": rules,
              "properties": {"backend": t.backend, "endpoint": t.endpoint, "rubricVersion": t.rubric_version,
                             "corpusVersion": t.corpus_version, "embeddingModel": t.embedding_model}}
    if _SEMVER.match(t.version):
        driver["semanticVersion"] = t.version
    results = [_result(d.path, f, index) for d in report.documents for f in d.findings]
    results += [{"ruleId": "design-review/unreviewable", "ruleIndex": index["design-review/unreviewable"],
                 "level": "error", "message": {"text": f"could not be reviewed: {d.error}"},
                 "locations": [_location(d.path, 1)]} for d in report.errors]
    notifications = [{"level": "error", "message": {"text": f"{d.path} could not be reviewed: {d.error}"},
                      "locations": [_location(d.path, 1)]} for d in report.errors]
    run = {"tool": {"driver": driver},
           "invocations": [{"executionSuccessful": not report.errors, "exitCode": report.exit_code,
                            "toolExecutionNotifications": notifications}],
           "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
           "results": results,
           "properties": {"policy": report.policy.summary(), "baseline": report.baseline,
                          "rubricVersion": t.rubric_version, "corpusVersion": t.corpus_version}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(report: CheckReport) -> str:
    return pretty_json(sarif_log(report))
