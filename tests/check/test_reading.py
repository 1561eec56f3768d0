"""`check` reads nothing outside the repository and nothing that is not a regular file of a sane
size: a symlink to a secret, an include glob outside the root, a symlink to /dev/zero, a huge
file. The real CLI in a real git repository."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from helpers import cli_command, read_fixture

SECRET = "the-launch-codes-are-0000"


@pytest.fixture
def workspace(tmp_path):
    """A git repository with one design, and a secret outside it."""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    (repo / "docs").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.md").write_text(f"# Secret\n\n{SECRET} {read_fixture('fraud_metrics.md')}")
    (repo / "docs" / "design.md").write_text(read_fixture("fraud_metrics.md"))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo, outside


def check(env, cwd, *args) -> subprocess.CompletedProcess:
    return subprocess.run(cli_command("check", *args, "--format", "json"), env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def errors(done) -> dict[str, str]:
    return {e["path"]: e["error"] for e in json.loads(done.stdout)["errors"]}


def test_a_symlink_out_of_the_repository_is_refused_and_its_text_never_shown(cli_env, workspace):
    repo, outside = workspace
    os.symlink(outside / "secret.md", repo / "docs" / "leak.md")
    done = check(cli_env, repo, "docs")
    assert done.returncode == 2
    assert "outside the repository" in errors(done)["docs/leak.md"]
    assert SECRET not in done.stdout and SECRET not in done.stderr
    allowed = check(cli_env, repo, "docs", "--allow-outside-repo")
    assert "docs/leak.md" not in errors(allowed)


def test_include_globs_outside_the_root_are_refused(cli_env, workspace):
    repo, outside = workspace
    (repo / ".design-review.toml").write_text(f'include = ["{outside}/*.md", "docs/*.md"]\n')
    done = check(cli_env, repo)
    assert done.returncode == 2
    refused = [p for p, e in errors(done).items() if "outside the repository" in e]
    assert refused and SECRET not in done.stdout


def test_a_device_or_a_huge_file_is_refused_before_it_is_read(cli_env, workspace):
    repo, _ = workspace
    os.symlink("/dev/zero", repo / "docs" / "zero.md")
    (repo / "docs" / "huge.md").write_bytes(b"# Huge\n" + b"x" * 3_000_000)
    done = check(cli_env, repo, "docs/zero.md", "docs/huge.md", "docs/design.md", "--allow-outside-repo")
    assert done.returncode == 2
    found = errors(done)
    assert "not a regular file" in found["docs/zero.md"]
    assert "limit" in found["docs/huge.md"]
    assert any(d["path"] == "docs/design.md" for d in json.loads(done.stdout)["documents"])
    folder = check(cli_env, repo, "docs")  # a folder lists regular files only
    assert "docs/zero.md" not in errors(folder)
