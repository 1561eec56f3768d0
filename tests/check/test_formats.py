"""The check's reports (app/check/formats.py, sarif.py, junit.py, annotations.py, reports.py), rendered in
process from one check over good, weak (with a pitfall added since its baseline), waived and an empty
file. What each format must show is stated against the check's own results, not against which items
the scorer happens to cover in the fixtures.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from app.check.annotations import GITHUB_LEVEL, PER_TYPE
from app.check.baseline import FileBaseline
from app.check.findings import Finding
from app.check.formats import FORMATS, plan_outputs, render_json
from app.check.paths import DocumentPath
from app.check.policy import Policy
from app.check.runner import run_check
from app.errors import UserError

from helpers import CHECK_FIXTURES, PITFALL, PITFALL_LINE, SARIF_SCHEMA, WORKFLOW_COMMAND


@pytest.fixture(scope="module")
def report(source, tmp_path_factory):
    """One in-process check over good, weak, waived (compared with a baseline) and an empty file."""
    folder = tmp_path_factory.mktemp("docs")
    for name in ("good.md", "weak.md", "waived.md"):
        shutil.copy(CHECK_FIXTURES / name, folder / name)
    (folder / "weak.md").write_text((CHECK_FIXTURES / "weak.md").read_text() + PITFALL_LINE + "\n")
    (folder / "empty.md").write_text("  \n")

    class OldWeak:  # the baseline: weak.md before the pitfall line, waived.md absent
        label = "test baseline"

        def previous(self, doc, review_old):
            if doc.path.name == "weak.md":
                return review_old((CHECK_FIXTURES / "weak.md").read_bytes(), doc)
            return None if doc.path.name == "waived.md" else review_old(doc.path.read_bytes(), doc)

    return run_check([str(folder)], source, Policy(), folder, OldWeak())


def document(report, name: str):
    return next(d for d in report.documents if Path(d.path).name == name)


def test_report_covers_pass_fail_waived_and_unreviewable(report, judge):
    status = {Path(d.path).name: d.status for d in report.documents}
    assert set(status) == {"empty.md", "good.md", "waived.md", "weak.md"}
    assert status["empty.md"] == "error" and report.exit_code == 2
    assert "empty" in report.errors[0].error
    assert status["good.md"] == "pass"  # the baseline holds the same text: nothing is new
    assert status["waived.md"] == judge("waived.md").status  # not in the baseline: everything is new
    weak = document(report, "weak.md")
    assert status["weak.md"] == "fail" and PITFALL in {f.rule for f in weak.failing}
    assert all(f.baseline_state == "new" for f in weak.failing)


def test_sarif_validates_against_the_2_1_0_schema(report, source):
    log = json.loads(FORMATS["sarif"](report))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    run = log["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert set(rule_ids) >= {i.id for i in source.rubric.items()} | {p.id for p in source.rubric.pitfalls}
    assert run["tool"]["driver"]["properties"]["rubricVersion"] == source.rubric.version
    results = run["results"]
    assert {r["level"] for r in results} <= {"error", "warning", "note"}
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)
    pitfall = next(r for r in results if r["ruleId"] == PITFALL)
    evidence_line = next(f.line for f in document(report, "weak.md").findings if f.kind == "pitfall")
    assert pitfall["locations"][0]["physicalLocation"]["region"]["startLine"] == evidence_line
    assert pitfall["level"] == "error" and pitfall["baselineState"] == "new"
    waived = sum(f.waiver is not None for d in report.documents for f in d.findings)
    assert waived and sum(bool(r.get("suppressions")) for r in results) == waived
    assert any(r["ruleId"] == "design-review/unreviewable" for r in results)
    assert run["invocations"][0]["executionSuccessful"] is False


def test_junit_has_a_case_per_document_and_stage(report):
    xml = FORMATS["junit"](report)
    root = ET.fromstring(xml)
    suites = {s.get("name").rsplit("/", 1)[-1]: s for s in root.iter("testsuite")}
    assert set(suites) == {"good.md", "weak.md", "waived.md", "empty.md"}
    names = [c.get("name") for c in suites["good.md"].iter("testcase")]
    assert [n.split(":")[0] for n in names[:10]] == [f"stage {g.id}" for g in report.rubric.stages]

    def failing_groups(suite) -> set[str]:  # "stage metrics: Metrics" -> metrics; "pitfalls: ..." -> pitfalls
        return {c.get("name").split(":")[0].split()[-1] for c in suite.iter("testcase")
                if c.find("failure") is not None}

    weak = document(report, "weak.md")
    assert failing_groups(suites["weak.md"]) == {f.group for f in weak.failing} and "pitfalls" in {
        f.group for f in weak.failing}
    assert suites["empty.md"].find("testcase/error") is not None
    assert int(root.get("errors")) == 1
    assert int(root.get("failures")) == sum(len({f.group for f in d.failing}) for d in report.documents)
    props = {p.get("name"): p.get("value") for p in suites["good.md"].iter("property")}
    assert props["rubric_version"] == report.tool.rubric_version
    junitparser = pytest.importorskip("junitparser")
    parsed = junitparser.JUnitXml.fromstring(xml.encode())  # bytes: lxml refuses a str with a declaration
    assert sum(suite.tests for suite in parsed) == int(root.get("tests"))


def test_github_lines_are_workflow_commands_capped_per_type(report, judge):
    result = judge("weak.md", Policy(fail_on="warning"))
    result.path = "docs/design/weak, v2.md"  # a comma and a colon-free title must be escaped
    result.findings += [Finding(key=f"gap:extra.{n}", rule=f"extra.{n}", kind="gap", severity="warning",
                                title=f"Extra {n}", message=f"extra gap {n}", group="metrics",
                                locations=[(n + 1, n + 1)], failing=True) for n in range(PER_TYPE + 2)]
    capped = type(report)(report.tool, report.rubric, report.policy, [result])
    lines = FORMATS["github"](capped).splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert all(WORKFLOW_COMMAND.fullmatch(line) for line in commands), commands[:3]
    assert all("file=docs/design/weak%2C v2.md" in line for line in commands)
    expected = {t: sum(f.shown and GITHUB_LEVEL[f.severity] == t for f in result.findings)
                for t in ("error", "warning", "notice")}
    assert expected["warning"] > PER_TYPE
    for kind, count in expected.items():
        assert sum(line.startswith(f"::{kind} ") for line in commands) == min(count, PER_TYPE), kind
        more = [line for line in lines if re.search(rf"\d+ more {kind} findings not shown", line)]
        assert more == ([f"design-review: docs/design/weak, v2.md: {count - PER_TYPE} more {kind} findings "
                         "not shown as annotations (see the job summary or --format markdown)"]
                        if count > PER_TYPE else [])
    full = FORMATS["github"](report).splitlines()
    assert any(line.startswith("::error file=") and "could not be reviewed" in line for line in full)
    assert report.tool.rubric_version in full[-1]


def test_rdjsonl_is_one_diagnostic_per_line_for_each_new_unwaived_finding(report):
    lines = [json.loads(line) for line in FORMATS["rdjsonl"](report).splitlines()]
    assert lines and all(set(d) >= {"message", "location", "severity", "code", "source"} for d in lines)
    assert {d["severity"] for d in lines} <= {"ERROR", "WARNING", "INFO"}
    assert all(d["location"]["range"]["start"]["line"] >= 1 for d in lines)
    weak = document(report, "weak.md")
    codes = sorted(d["code"]["value"] for d in lines if d["location"]["path"].endswith("weak.md"))
    assert codes == sorted(f.rule for f in weak.findings if f.baseline_state == "new" and f.waiver is None)
    assert PITFALL in codes
    good = [d for d in lines if d["location"]["path"].endswith("good.md")]
    assert good == []  # the same text as its baseline: nothing new to show
    assert any(d["code"]["value"] == "design-review/unreviewable" for d in lines)


def test_json_markdown_and_text_name_versions_and_errors(report, tmp_path):
    body = json.loads(render_json(report))
    assert body["tool"]["rubric_version"] == report.tool.rubric_version
    assert body["summary"]["exit_code"] == 2 and body["errors"][0]["error"]
    saved = tmp_path / "base.json"
    saved.write_text(render_json(report))
    weak = document(report, "weak.md")
    previous = FileBaseline(saved).previous(DocumentPath(Path(weak.path), weak.path), None)
    assert previous.score == weak.score and set(previous.severities) == {f.key for f in weak.findings}
    for fmt in ("markdown", "text"):
        out = FORMATS[fmt](report)
        assert report.tool.corpus_version in out and "empty.md" in out and "the document is empty" in out
    assert plan_outputs(["sarif", "junit=r.xml"], ["rdjsonl=d/x.jsonl"]) == {
        "sarif": None, "junit": Path("r.xml"), "rdjsonl": Path("d/x.jsonl")}
    assert plan_outputs([], ["sarif=r.sarif"]) == {"text": None, "sarif": Path("r.sarif")}
    with pytest.raises(UserError, match="unknown format 'pdf'"):
        plan_outputs(["pdf"], [])
