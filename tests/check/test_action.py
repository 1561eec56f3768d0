"""action.yml's steps run as GitHub runs a composite action: each `run:` step a bash script (`bash -eo
pipefail`) with its `env:` and its inputs substituted, and the variables GitHub sets (GITHUB_EVENT_PATH
with a pull_request event, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, GITHUB_API_URL at the stand-in of
GitHub's API). The `uses:` steps (setup-python) and the step that pip-installs the package are left
out: the test's interpreter has the package, reached through a `design-review` on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app.check.comment import MARKER

from helpers import CHECK_FIXTURES, REPO

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
TOKEN = "ghs-job-token"


def evaluate(expression: str, inputs: dict[str, str], context: dict[str, str]) -> str:
    """The few expressions action.yml uses; any other fails the test, so it is not silently blank."""
    empty = re.fullmatch(r"inputs\.([\w-]+) == ''", expression)
    if empty:
        return str(inputs[empty.group(1)] == "")
    if expression.startswith("inputs."):
        return inputs[expression.removeprefix("inputs.")]
    if expression in context:
        return context[expression]
    raise AssertionError(f"action.yml uses an expression this test does not evaluate: {expression}")


def substitute(text: str, inputs: dict[str, str], context: dict[str, str]) -> str:
    return EXPRESSION.sub(lambda m: evaluate(m.group(1), inputs, context), text)


def action_steps(given: dict[str, str], context: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(id or name, script, env) of each run: step that applies, inputs and expressions substituted."""
    action = yaml.safe_load((REPO / "action.yml").read_text())
    inputs = {name: substitute(str(spec.get("default", "")), {}, context)
              for name, spec in action["inputs"].items()}
    assert set(given) <= set(inputs), f"unknown inputs {set(given) - set(inputs)}"
    inputs.update(given)
    steps = []
    for step in action["runs"]["steps"]:
        if "uses" in step or "pip install" in step["run"]:
            continue
        if "if" in step and evaluate(step["if"], inputs, context) != "True":
            continue
        env = {k: substitute(str(v), inputs, context) for k, v in step.get("env", {}).items()}
        steps.append((step.get("id", step["name"]), substitute(step["run"], inputs, context), env))
    return steps


@pytest.fixture
def runner(tmp_path, settings, cli_env, forge_api):
    """A checkout of designs, the runner's folders and the GitHub variables of a pull_request job."""
    checkout = tmp_path / "checkout"
    (checkout / "docs" / "design").mkdir(parents=True)
    for name in ("good.md", "weak.md"):
        shutil.copy(CHECK_FIXTURES / name, checkout / "docs" / "design" / name)
    subprocess.run(["git", "init", "-q"], cwd=checkout, check=True)
    temp, action_path, bin_dir = tmp_path / "runner-temp", tmp_path / "action", tmp_path / "bin"
    (temp / "design-review").mkdir(parents=True)
    (temp / "design-review" / "chroma").symlink_to(settings.store_path)  # the session's ingested store
    action_path.mkdir()
    (action_path / "corpus").symlink_to(settings.corpus_dir)
    bin_dir.mkdir()
    (bin_dir / "design-review").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m app.cli "$@"\n')
    (bin_dir / "design-review").chmod(0o755)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "opened", "number": 12,
                                 "pull_request": {"number": 12, "head": {"sha": "abc"}}}))
    api = forge_api("github", token=TOKEN)
    env = {k: v for k, v in cli_env.items() if not k.startswith(("DESIGN_REVIEW_", "GITHUB_"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", GITHUB_ACTIONS="true", CI="true",
               GITHUB_EVENT_NAME="pull_request", GITHUB_EVENT_PATH=str(event), GITHUB_REPOSITORY="acme/designs",
               GITHUB_API_URL=api.url, GITHUB_REF="refs/pull/12/merge", GITHUB_WORKSPACE=str(checkout),
               GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"), GITHUB_OUTPUT=str(tmp_path / "output.txt"),
               RUNNER_TEMP=str(temp))
    context = {"github.action_path": str(action_path), "runner.temp": str(temp), "github.token": TOKEN}
    return checkout, env, context, api


def run_action(runner, given: dict[str, str]) -> dict[str, subprocess.CompletedProcess]:
    """Run the action's steps in order, as GitHub would; stop at the first that fails."""
    checkout, env, context, _ = runner
    done = {}
    for name, script, step_env in action_steps(given, context):
        done[name] = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                                    cwd=checkout, env={**env, **step_env}, capture_output=True, text=True,
                                    timeout=240)
        if done[name].returncode != 0:
            break
    return done


def outputs(path: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in Path(path).read_text().splitlines() if "=" in line)


def test_action_with_comment_posts_once_then_edits_and_reports_its_exit_code(runner, judge):
    checkout, env, _, api = runner
    expected = 1 if "fail" in {judge("good.md").status, judge("weak.md").status} else 0
    given = {"paths": "docs/design", "comment": "true", "format": "github sarif=design-review.sarif"}
    first = run_action(runner, given)
    assert list(first) == ["Ingest the rubric corpus", "check"], {k: v.stderr for k, v in first.items()}
    check = first["check"]
    assert check.returncode == expected, check.stderr
    assert outputs(env["GITHUB_OUTPUT"]) == {"exit-code": str(expected)}
    assert any(line.startswith(("::error file=docs/design/", "::warning file=docs/design/"))
               for line in check.stdout.splitlines())
    assert (checkout / "design-review.sarif").is_file()
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("## ") and "<code>docs/design/weak.md</code>" in summary
    (post,) = api.calls("POST")
    assert post[1] == "/repos/acme/designs/issues/12/comments" and post[2]["authorization"] == f"Bearer {TOKEN}"
    # the comment and the summary are the same short view: both fit their limits with two designs
    assert post[3]["body"] == (f"{MARKER}\n{summary}" if expected else post[3]["body"])
    assert post[3]["body"].startswith(MARKER)

    again = run_action(runner, given)
    assert again["check"].returncode == expected
    assert len(api.calls("POST")) == 1 and len(api.calls("PATCH")) == 1
    (comment_id,) = api.comments
    assert api.calls("PATCH")[0][1] == f"/repos/acme/designs/issues/comments/{comment_id}"
    assert "updated the pull-request comment on pull request #12 of acme/designs" in again["check"].stderr


def test_action_without_comment_asks_nothing_of_the_api(runner):
    checkout, env, _, api = runner
    done = run_action(runner, {"paths": "docs/design", "fail-on": "none", "comment": "false"})
    assert done["check"].returncode == 0, done["check"].stderr
    assert outputs(env["GITHUB_OUTPUT"]) == {"exit-code": "0"}
    assert api.requests == []
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text().startswith("## ✅ Design review")
