"""The pull-request comment and the merge-request note (app/check/comment.py, forges.py), driven by the
real `design-review check` command against loopback stand-ins of GitHub's and GitLab's APIs
(tests/check/conftest.py's `forge_api`), and the short view's size limits and escaping in process.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from app.check.comment import COMMENT_LIMIT, MARKER, SUMMARY_LIMIT, render_comment, render_summary
from app.check.findings import Finding
from app.check.policy import Policy
from app.check.runner import run_check

from helpers import CHECK_FIXTURES, PITFALL, PITFALL_LINE, cli_command

TIMEOUT = 180
INJECTION = "</details><script>alert(1)</script>"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                   check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git repository with good.md and weak.md under docs/design, committed."""
    design = tmp_path / "docs" / "design"
    design.mkdir(parents=True)
    for name in ("good.md", "weak.md"):
        shutil.copy(CHECK_FIXTURES / name, design / name)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "designs")
    return tmp_path


def run_cli(env, cwd, *args, extra_env=None) -> subprocess.CompletedProcess:
    return subprocess.run(cli_command("check", *args), env={**env, **(extra_env or {})}, cwd=cwd,
                          capture_output=True, text=True, timeout=TIMEOUT)


def github_env(api, tmp_path: Path, number: int = 7, token: str | None = "test-token") -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "number": number,
                                 "pull_request": {"number": number}}))
    env = {"GITHUB_API_URL": api.url, "GITHUB_REPOSITORY": "acme/designs", "GITHUB_EVENT_PATH": str(event),
           "GITHUB_EVENT_NAME": "pull_request", "GITHUB_ACTIONS": "true"}
    return {**env, "GITHUB_TOKEN": token} if token else env


def marked(api) -> list[dict]:
    return [c for c in api.comments.values() if c["body"].startswith(MARKER)]


def entries(body: str, path: str, title: str) -> list[str]:
    """The entries of one list (its title's start) in one design's block of a comment."""
    block = body.split(f"<code>{path}</code>", 1)[1].split("\n### ", 1)[0]
    return block.split(title, 1)[1].split("\n\n", 2)[1].splitlines()


def rendered(markdown: str) -> str:
    """The HTML GitHub-flavoured markdown makes of a comment (raw HTML passes through, as on GitHub)."""
    return MarkdownIt("commonmark", {"html": True}).render(markdown)


def test_github_first_run_creates_the_comment_and_the_next_run_edits_it(cli_env, repo, tmp_path, forge_api,
                                                                        source):
    api = forge_api("github")
    other = api.seed("Looks good to me")
    quoted = api.seed(f"> {MARKER}\n> quoted by a person")  # the marker, but not at the start: not ours
    api.seed("Please add a rollout plan")
    env = github_env(api, tmp_path)
    first = run_cli(cli_env, repo, "docs/design", "--github-comment", extra_env=env)
    in_process = run_check(["docs/design"], source, Policy(root=repo), repo)
    assert first.returncode == in_process.exit_code, first.stderr
    assert [r[1] for r in api.calls("POST")] == ["/repos/acme/designs/issues/7/comments"]
    assert api.calls("PATCH") == []
    assert len(api.calls("GET")) == 2  # three comments in pages of two: the next page was followed
    (ours,) = [dict(c) for c in marked(api)]  # a copy: the stand-in edits its own in place
    assert ours["body"] == render_comment(in_process)
    assert "created the pull-request comment on pull request #7 of acme/designs" in first.stderr

    (repo / "docs" / "design" / "weak.md").write_text((CHECK_FIXTURES / "weak.md").read_text()
                                                      + PITFALL_LINE + "\n")
    second = run_cli(cli_env, repo, "docs/design", "--github-comment", "--baseline", "HEAD", extra_env=env)
    assert second.returncode == 1, second.stderr  # the pitfall is new since HEAD: it fails
    assert len(api.calls("POST")) == 1, "the second run must edit, not add"
    (patch,) = api.calls("PATCH")
    assert patch[1] == f"/repos/acme/designs/issues/comments/{ours['id']}"
    assert patch[2]["authorization"] == "Bearer test-token"
    (edited,) = marked(api)
    assert edited["id"] == ours["id"] and edited["body"] != ours["body"]
    failing = entries(edited["body"], "docs/design/weak.md", "**Fails the policy")
    assert any(PITFALL in line and ", new)" in line and "<em>Ask:</em>" in line for line in failing)
    assert "since the baseline" in edited["body"]
    assert api.comments[other]["body"] == "Looks good to me"
    assert api.comments[quoted]["body"].startswith("> ")


def test_a_403_logs_one_line_and_the_exit_code_follows_the_policy(cli_env, repo, tmp_path, forge_api, judge):
    api = forge_api("github")
    api.deny = 403
    env = github_env(api, tmp_path)
    weak = judge("weak.md")
    done = run_cli(cli_env, repo, "docs/design/weak.md", "--github-comment", extra_env=env)
    assert done.returncode == (1 if weak.status == "fail" else 0), done.stderr
    lines = [line for line in done.stderr.splitlines() if "no pull-request comment posted" in line]
    assert len(lines) == 1 and "GitHub answered 403 (Resource not accessible by integration)" in lines[0]
    assert "pull-requests: write" in lines[0]
    assert api.comments == {}

    asked = len(api.requests)  # the list, and the create GitHub refused
    passing = run_cli(cli_env, repo, "docs/design/weak.md", "--github-comment", "--fail-on", "none",
                      extra_env=github_env(api, tmp_path, token=None))  # a fork: no token at all
    assert passing.returncode == 0, passing.stderr
    assert "no pull-request comment posted: GITHUB_TOKEN is not set" in passing.stderr
    assert asked == 2 and len(api.requests) == asked  # without a token nothing is asked


def test_gitlab_note_is_created_then_edited(cli_env, repo, forge_api, source):
    api = forge_api("gitlab", token="glpat-test")
    env = {"CI_API_V4_URL": f"{api.url}/api/v4", "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "5",
           "DESIGN_REVIEW_GITLAB_TOKEN": "glpat-test"}
    api.seed("a reviewer's note")
    first = run_cli(cli_env, repo, "docs/design", "--gitlab-note", "--fail-on", "none", extra_env=env)
    assert first.returncode == 0, first.stderr
    (post,) = api.calls("POST")
    assert post[1] == "/api/v4/projects/42/merge_requests/5/notes" and post[2]["private-token"] == "glpat-test"
    in_process = run_check(["docs/design"], source, Policy(root=repo, fail_on="none"), repo)
    assert marked(api)[0]["body"] == render_comment(in_process)
    assert "created the merge-request note on merge request !5 of project 42" in first.stderr

    second = run_cli(cli_env, repo, "docs/design/weak.md", "--gitlab-note", extra_env=env)
    assert len(api.calls("POST")) == 1
    (put,) = api.calls("PUT")
    assert put[1] == f"/api/v4/projects/42/merge_requests/5/notes/{marked(api)[0]['id']}"
    assert "docs/design/good.md" not in marked(api)[0]["body"]  # the note now holds the second run
    assert "updated the merge-request note" in second.stderr

    outside = run_cli(cli_env, repo, "docs/design/good.md", "--gitlab-note", "--fail-on", "none",
                      extra_env={**env, "CI_MERGE_REQUEST_IID": ""})
    assert outside.returncode == 0 and "not a merge request pipeline" in outside.stderr


def test_text_of_a_design_cannot_break_out_of_the_comment(cli_env, repo, tmp_path, forge_api):
    api = forge_api("github")
    design = repo / "docs" / "design" / "weak.md"
    design.write_text(design.read_text() + f"\n<!-- design-review: ignore {INJECTION} -- <b>why</b> -->\n")
    shutil.copy(design, design.parent / "notes <!-- x.md")  # a file name that opens a comment
    done = run_cli(cli_env, repo, "docs/design", "--github-comment", "--fail-on", "warning",
                   extra_env=github_env(api, tmp_path))
    assert done.returncode == 1, done.stderr
    body = marked(api)[0]["body"]
    assert "&lt;/details&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in body  # shown, inert
    assert "<code>docs/design/notes &lt;!-- x.md</code>" in body
    assert "<script>" not in body and "<b>" not in body
    assert body.count("<!--") == 1  # the marker only
    assert body.count("<details>") == body.count("</details>")
    html = rendered(body)
    assert "<script>" not in html and html.count("<details>") == html.count("</details>")


def long_report(judge, source, repo, designs: int):
    """A report of many designs, each with the weak design's findings and 150 long failing extras."""
    base = run_check(["docs/design/weak.md"], source, Policy(root=repo, fail_on="warning"), repo)
    result = judge("weak.md", Policy(fail_on="warning"))
    extras = [Finding(key=f"gap:extra.{n}", rule=f"extra.{n}", kind="gap", severity="critical",
                      title=f"Extra gap {n} with a long title " + "x" * 40, message="A sentence. " * 30,
                      group="metrics", locations=[(n + 1, n + 1)], questions=("Why? " * 20,), failing=True)
              for n in range(150)]
    docs = [type(result)(**{**result.__dict__, "path": f"docs/design/long-{k:02}.md",
                            "findings": result.findings + extras}) for k in range(designs)]
    return type(base)(base.tool, base.rubric, base.policy, docs)


def lists_add_up(view: str) -> int:
    """Each list of each design shows entries plus "and N more" adding up to its count; the designs shown."""
    blocks = view.split("\n### ")[1:]
    for block in blocks:
        for title, count, entries in re.findall(
                r"(\*\*Fails the policy|<summary>Other findings) \((\d+)\)(?:\*\*|</summary>)\n\n((?:- .*\n)*)", block):
            shown = len(re.findall(r"^- (?!… and)", entries, re.M))
            more = sum(int(n) for n in re.findall(r"^- … and (\d+) more", entries, re.M))
            assert shown + more == int(count), (title, count, shown, more)
    return len(blocks)


def test_a_very_long_report_is_folded_under_the_limits(judge, source, repo):
    report = long_report(judge, source, repo, 300)
    body = render_comment(report)
    assert body.startswith(MARKER) and len(body) < COMMENT_LIMIT
    shown = lists_add_up(body)
    cut = re.search(r"… and (\d+) more designs", body)
    assert cut and shown + int(cut.group(1)) == 300  # 300 heads do not fit: the last are counted
    assert re.search(r"^- … and \d+ more", body, re.M)
    assert body.count("<details>") == body.count("</details>") > 0
    few = render_comment(long_report(judge, source, repo, 3))  # every design fits; their lists are cut
    assert len(few) < COMMENT_LIMIT and lists_add_up(few) == 3 and "more designs" not in few
    assert re.search(r"^- … and \d+ more", few, re.M)
    summary = render_summary(report)
    assert len(summary.encode()) < SUMMARY_LIMIT and lists_add_up(summary) >= 1


def test_every_design_passing_is_one_line(source, repo):
    report = run_check(["docs/design"], source, Policy(root=repo, fail_on="none"), repo)
    assert report.exit_code == 0
    body = render_comment(report)
    lines = [line for line in body.splitlines() if line and not line.startswith(("<sub>", "_Note"))]
    assert lines[0] == MARKER and len(lines) == 2 and "every design passes the policy" in lines[1]
    assert f"{min(d.score for d in report.documents):.2f}" in lines[1]


def test_ten_designs_fit_the_job_summary(source, tmp_path):
    folder = tmp_path / "ten"
    folder.mkdir()
    names = ["good.md", "weak.md", "waived.md"]
    for k in range(10):
        shutil.copy(CHECK_FIXTURES / names[k % 3], folder / f"design-{k}.md")
    report = run_check([str(folder)], source, Policy(fail_on="warning"), folder)
    assert len(report.documents) == 10 and report.exit_code == 1
    summary = render_summary(report)
    assert len(summary.encode()) < SUMMARY_LIMIT
    first = summary.index("**Fails the policy")
    assert first < summary.index("<details>")  # failing findings lead, the rest is folded
    assert all(f"<code>{d.path}</code>" in summary for d in report.documents)
    assert summary.count("<em>Ask:</em>") >= 10  # each design's failing findings carry their question
