"""`design-review check` as a subprocess (app/check/command.py) in a temporary git repository, kept to a
few runs because each one loads the model.

What the command decides is compared with the same check in process (tests/check/conftest.py's
`judge`, app/check/runner.run_check): two doors, one result, whatever the scorer covers in the fixtures.
Where a run must fail, a line that makes a pitfall (a rule) or a design that covers nothing makes it fail.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from app.check.comment import render_summary
from app.check.findings import SEVERITY_RANK, Previous, compare, settle
from app.check.formats import FORMATS, render_json
from app.check.policy import Policy
from app.check.runner import run_check

from helpers import (CHECK_FIXTURES, FIXTURES, PITFALL, PITFALL_LINE, SARIF_SCHEMA, WORKFLOW_COMMAND,
                     cli_command)

TIMEOUT = 180


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                   check=True, capture_output=True)


def make_repo(root: Path) -> Path:
    """A git repository with a config at its root and designs under docs/design (one a draft)."""
    design = root / "docs" / "design"
    (design / "drafts").mkdir(parents=True)
    for name in ("good.md", "weak.md", "waived.md"):
        shutil.copy(CHECK_FIXTURES / name, design / name)
    shutil.copy(CHECK_FIXTURES / "weak.md", design / "drafts" / "draft.md")
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


def failing_rules(result) -> set[str]:
    return {f.rule for f in result.failing}


def exit_code(*statuses: str) -> int:
    return 2 if "error" in statuses else 1 if "fail" in statuses else 0


def test_cli_reports_good_and_waived_designs_as_the_check_in_process_does(cli_env, repo, judge):
    good, waived = judge("good.md"), judge("waived.md")
    done = run_cli(cli_env, repo, "docs/design/good.md", "docs/design/waived.md")
    assert done.returncode == exit_code(good.status, waived.status), done.stdout + done.stderr
    assert f"{good.status.upper():5} docs/design/good.md" in done.stdout
    assert f"{waived.status.upper():5} docs/design/waived.md" in done.stdout
    assert "waived problem.ml_io, data.labeling (line 4): inputs and labels" in done.stdout
    assert re.search(r"reviewed by design-reviewer \S+ \(local, in-process\), rubric \w+, corpus \w+",
                     done.stdout)


def test_cli_config_discovery_and_every_format_to_files(cli_env, repo, judge):
    out = repo / "out"
    done = run_cli(cli_env, repo / "docs", "--format", "json", "--output", f"sarif={out}/r.sarif",
                   "--format", f"junit={out}/r.xml", "--output", f"rdjsonl={out}/r.rdjsonl",
                   "--output", f"markdown={out}/r.md")
    statuses = [judge(name).status for name in ("good.md", "waived.md", "weak.md")]
    assert done.returncode == exit_code(*statuses), done.stderr
    body = json.loads(done.stdout)
    assert [d["path"] for d in body["documents"]] == ["design/good.md", "design/waived.md", "design/weak.md"]
    assert body["policy"]["config"] == str(repo / ".design-review.toml")
    assert [d["status"] for d in body["documents"]] == statuses
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(
        json.loads((out / "r.sarif").read_text()))
    suites = ET.fromstring((out / "r.xml").read_text()).findall("testsuite")
    assert [int(s.get("failures")) > 0 for s in suites] == [s == "fail" for s in statuses]
    assert all(json.loads(line)["location"]["path"].startswith("design/")
               for line in (out / "r.rdjsonl").read_text().splitlines())
    outcome = "failed" if "fail" in statuses else "passed"
    assert (out / "r.md").read_text().startswith(f"## Design review check: {outcome}")


def test_cli_github_format_writes_the_annotations_the_check_in_process_renders(cli_env, repo, tmp_path, source):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    done = run_cli(cli_env, repo, "docs/design/weak.md", "--format", "github",
                   extra_env={"GITHUB_STEP_SUMMARY": str(summary)})
    in_process = run_check(["docs/design/weak.md"], source, Policy(root=repo), repo)
    assert done.returncode == in_process.exit_code, done.stderr
    commands = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert commands and all(WORKFLOW_COMMAND.fullmatch(line) for line in commands)
    assert commands == [line for line in FORMATS["github"](in_process).splitlines() if line.startswith("::")]
    assert all(line.startswith(("::error file=docs/design/weak.md,line=", "::warning file=docs/design/weak.md,",
                                "::notice file=docs/design/weak.md,")) for line in commands)
    appended = ("earlier step\n" + render_summary(in_process)).rsplit("<sub>", 1)[0]  # the footer names the config
    assert summary.read_text().rsplit("<sub>", 1)[0] == appended  # appended after the earlier step


def test_cli_unreviewable_documents_exit_2_and_are_reported(cli_env, repo, tmp_path, judge):
    tmp_path = scratch(repo)  # inside the repository: check reads nothing outside it
    (tmp_path / "empty.md").write_text("\n\n")
    (tmp_path / "latin1.md").write_bytes("# Caf\xe9 recommendations\n".encode("latin-1"))
    done = run_cli(cli_env, repo, str(tmp_path / "empty.md"), str(tmp_path / "latin1.md"),
                   "docs/design/good.md", "--format", "json")
    assert done.returncode == 2, done.stderr
    body = json.loads(done.stdout)
    errors = {Path(e["path"]).name: e["error"] for e in body["errors"]}
    assert "empty" in errors["empty.md"] and "not valid UTF-8" in errors["latin1.md"]
    assert body["documents"][-1]["status"] == judge("good.md").status
    assert "latin1.md could not be reviewed" in done.stderr


def test_cli_no_exit_always_exits_0(cli_env, repo, tmp_path, judge):
    tmp_path = scratch(repo)  # inside the repository: check reads nothing outside it
    (tmp_path / "empty.md").write_text("")
    done = run_cli(cli_env, repo, "docs/design/weak.md", str(tmp_path / "empty.md"), "--no-exit")
    assert done.returncode == 0, done.stderr
    assert f"{judge('weak.md').status.upper():5} docs/design/weak.md" in done.stdout and "ERROR" in done.stdout


def test_cli_threshold_flags(cli_env, repo, tmp_path, judge, source):
    tmp_path = scratch(repo)  # inside the repository: check reads nothing outside it
    """The flags set the policy the check in process applies; the ones no design can meet fail it."""
    shutil.copy(FIXTURES / "empty_headings.md", tmp_path / "empty_headings.md")
    names = ("good.md", "empty_headings.md")
    detected = {t.id for name in names for t in judge(name).review.topics}
    unseen = next(t for t in source.rubric.topics if t.id not in detected).items[0].id
    done = run_cli(cli_env, repo, "docs/design/good.md", str(tmp_path / "empty_headings.md"),
                   "--fail-under", "1", "--stage-min", "metrics=1", "--require-stage", "deep_dive,metrics",
                   "--require-item", f"deployment.canary,{unseen}", "--format", "json")
    assert done.returncode == 1, done.stderr
    body = json.loads(done.stdout)
    assert body["policy"]["require_stages"] == ["deep_dive", "metrics"]
    assert body["policy"]["require_items"] == sorted(["deployment.canary", unseen])
    failing = [{f["key"] for f in d["findings"] if f["failing"]} for d in body["documents"]]
    policy = Policy(fail_under=1.0, stage_min={"metrics": 1.0}, require_stages=frozenset({"deep_dive", "metrics"}),
                    require_items=frozenset({"deployment.canary", unseen}))
    assert failing == [{f.key for f in judge(name, policy).failing} for name in names]
    for keys in failing:  # short of a perfect score, and an item of a topic the design does not have
        assert {"threshold:overall", "threshold:stage:metrics", f"threshold:required-item:{unseen}"} <= keys


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


def test_cli_git_baseline_fails_only_on_new_findings(cli_env, tmp_path, judge):
    repo = make_repo(tmp_path / "repo")
    weak = repo / "docs" / "design" / "weak.md"
    edited = weak.read_text() + PITFALL_LINE + "\n"
    weak.write_text(edited)
    shutil.copy(CHECK_FIXTURES / "weak.md", repo / "docs" / "design" / "new.md")
    done = run_cli(cli_env, repo, "--baseline", "HEAD", "--format", "json")
    assert done.returncode == 1, done.stderr
    docs = {Path(d["path"]).name: d for d in json.loads(done.stdout)["documents"]}
    # weak.md, against its committed text: what the pitfall line added fails, the backlog does not.
    before = judge("weak.md")
    after = judge("weak.md", text=edited)
    compare(after, Previous({f.key: f.severity for f in before.findings}, before.score), Policy())
    settle(after, Policy())
    assert docs["weak.md"]["baseline"] == "compared"
    failing = {f["rule"] for f in docs["weak.md"]["findings"] if f["failing"]}
    assert PITFALL in failing and failing == failing_rules(after)
    assert docs["good.md"]["status"] == "pass"  # unchanged since HEAD
    # new.md, not in HEAD: everything is new, as without a baseline.
    assert docs["new.md"]["baseline"] == "new" and docs["new.md"]["status"] == before.status
    assert {f["rule"] for f in docs["new.md"]["findings"] if f["failing"]} == failing_rules(before)


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
    # finding the added line happens to tip, or to raise in severity), and nothing of the old backlog.
    after = run_check(["docs/design/weak.md"], source, Policy(), copy)
    found = lambda report: {f.key: f for d in report.documents for f in d.findings}  # noqa: E731
    old = found(previous)
    expected = {f.rule for key, f in found(after).items()
                if key not in old or SEVERITY_RANK[f.severity] > SEVERITY_RANK[old[key].severity]}
    assert PITFALL in expected
    assert {r["ruleId"] for r in results if r["baselineState"] == "new"} == expected


def test_cli_server_mode_reviews_through_the_api(cli_env, repo, tmp_path, server_url, source, judge):
    tmp_path = scratch(repo)  # inside the repository: check reads nothing outside it
    (tmp_path / "empty.md").write_text(" \n")
    done = run_cli(cli_env, repo, "--server", server_url, "--api-key", "k", "docs/design/good.md",
                   "docs/design/weak.md", str(tmp_path / "empty.md"), "--format", "json")
    assert done.returncode == 2, done.stderr
    body = json.loads(done.stdout)
    assert body["tool"]["endpoint"] == server_url and body["tool"]["rubric_version"] == source.rubric.version
    good, weak = judge("good.md"), judge("weak.md")
    assert [d["status"] for d in body["documents"]] == [good.status, weak.status, "error"]
    for remote, local in zip(body["documents"], (good, weak)):
        assert remote["overall"]["score"] == local.score
        assert {f["rule"] for f in remote["findings"] if f["failing"]} == failing_rules(local)
        assert {f["key"] for f in remote["findings"]} == {f.key for f in local.findings}
    assert "the API refused the document (422)" in body["errors"][0]["error"]


def test_output_path_alone_takes_the_named_format_or_its_suffix_and_usage_errors_exit_2(cli_env, tmp_path):
    """`--format sarif --output out.sarif` writes SARIF; `--output x.unknown` with no format is a
    usage error: exit 2 even with --no-exit."""
    import json as _json
    import subprocess as _subprocess

    from helpers import CHECK_FIXTURES as CHECK_DIR, cli_command as _cli

    design = next(CHECK_DIR.glob("*.md"))
    out = tmp_path / "out.sarif"
    done = _subprocess.run(_cli("check", str(design), "--no-exit", "--format", "sarif", "--output", str(out)),
                           capture_output=True, text=True, env=cli_env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert _json.loads(out.read_text())["version"] == "2.1.0" and done.stdout == ""
    by_suffix = tmp_path / "report.xml"
    done = _subprocess.run(_cli("check", str(design), "--no-exit", "--output", str(by_suffix)),
                           capture_output=True, text=True, env=cli_env, timeout=300)
    assert done.returncode == 0 and by_suffix.read_text().startswith("<?xml")
    bad = _subprocess.run(_cli("check", str(design), "--no-exit", "--output", str(tmp_path / "x.unknown")),
                          capture_output=True, text=True, env=cli_env, timeout=300)
    assert bad.returncode == 2 and "name the format" in bad.stderr


def scratch(repo: Path) -> Path:
    """A folder for a test's own documents inside the checked repository."""
    folder = repo / "scratch"
    folder.mkdir(exist_ok=True)
    return folder
