"""The command line (app/cli.py) as a subprocess, against the session store (DESIGN_REVIEW_* variables):
review, ingest, hash-key, usage errors. (`check`: tests/check/test_command.py; --backend llm:
tests/cli/test_cli_llm.py.)"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from app.config import get_settings
from app.review.build import store_for
from app.keys import hash_key
from app.knowledge.chroma import GUIDANCE, ITEMS

from helpers import FIXTURES, assert_review_shape, cli_command, read_fixture

TIMEOUT = 120


def run_cli(env, *args, cwd, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cli_command(*args), env=env, cwd=cwd, input=stdin, capture_output=True,
                          timeout=TIMEOUT)


def test_review_prints_a_text_report_with_the_stage_table(cli_env, tmp_path, reviewer):
    done = run_cli(cli_env, "review", str(FIXTURES / "fraud_metrics.md"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert out.startswith("Card fraud scoring for online payments\n")
    assert "STAGES" in out
    rows = [line for line in out.splitlines() if re.search(r"\d/\d+ covered(, \d+ partial)?$", line)]
    assert [r.split()[0] for r in rows] == [g.title.split()[0] for g in reviewer.rubric.stages]
    assert "GAPS (" in out


def test_review_json_parses_with_the_stable_fields(cli_env, tmp_path, reviewer):
    done = run_cli(cli_env, "review", str(FIXTURES / "scaler_leak.md"), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    review = json.loads(done.stdout)
    assert_review_shape(review)
    assert len(review["stages"]) == 10
    assert "pitfall.preprocessing_leakage" in {p["id"] for p in review["pitfalls"]}
    assert review["reviewer"]["corpus_version"] == reviewer.corpus_version


def test_review_markdown_starts_with_a_heading(cli_env, tmp_path):
    done = run_cli(cli_env, "review", str(FIXTURES / "accuracy_headline.md"), "--format", "markdown",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert out.startswith("# Design review: Insurance claim fraud flags\n")
    assert "| Stage | Score | Covered | Partial | Gaps |" in out
    assert "## Pitfalls" in out


def test_review_reads_standard_input(cli_env, tmp_path):
    text = read_fixture("plain_design.txt")
    done = run_cli(cli_env, "review", "-", "--format", "json", "--doc-format", "text", cwd=tmp_path,
                   stdin=text.encode())
    assert done.returncode == 0, done.stderr.decode()
    review = json.loads(done.stdout)
    assert review["document"]["title"] == "Delivery time estimates for the grocery app"
    assert review["document"]["lines"] == len(text.split("\n"))
    assert len(review["stages"]) == 10


def test_missing_file_exits_2_with_a_clear_message(cli_env, tmp_path):
    missing = tmp_path / "no_such_design.md"
    done = run_cli(cli_env, "review", str(missing), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == b""
    err = done.stderr.decode()
    assert "no such file" in err and str(missing) in err
    assert "Traceback" not in err


def test_binary_file_exits_2_without_a_traceback(cli_env, tmp_path):
    binary = tmp_path / "design.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    done = run_cli(cli_env, "review", str(binary), cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr.decode() and done.stderr.strip()


def test_ingest_prints_a_summary_line(tmp_path, corpus_snapshot, cli_env):
    corpus = tmp_path / "corpus"
    (corpus / "stages").mkdir(parents=True)
    shutil.copy(corpus_snapshot / "stages" / "02_metrics.md", corpus / "stages")
    store = tmp_path / "chroma"
    env = {**cli_env, "DESIGN_REVIEW_STORE_PATH": str(store), "DESIGN_REVIEW_CORPUS_DIR": str(corpus)}

    done = run_cli(env, "ingest", "--quiet", cwd=tmp_path)

    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1
    match = re.fullmatch(r"ingest: (\d+) added, 0 updated, 0 removed, 0 unchanged in \d+\.\d\ds", lines[0])
    assert match, lines[0]
    settings = get_settings(store_path=store, corpus_dir=corpus)
    stored = store_for(settings)
    assert int(match[1]) == stored.count(GUIDANCE) + stored.count(ITEMS) > 0


def test_unknown_command_is_a_usage_error(cli_env, tmp_path):
    done = run_cli(cli_env, "reviews", "x.md", cwd=tmp_path)
    assert done.returncode == 2
    assert b"invalid choice" in done.stderr


@pytest.mark.parametrize("args", [("review",), ("review", "x.md", "--format", "pdf")])
def test_bad_arguments_are_usage_errors(cli_env, tmp_path, args):
    done = run_cli(cli_env, *args, cwd=tmp_path)
    assert done.returncode == 2
    assert b"usage:" in done.stderr


def test_slack_socket_mode_without_tokens_names_the_variables(cli_env, tmp_path):
    env = {k: v for k, v in cli_env.items() if not k.startswith("SLACK_")}
    done = run_cli(env, "slack", "--socket", cwd=tmp_path)
    assert done.returncode == 2
    assert b"SLACK_BOT_TOKEN" in done.stderr and b"SLACK_APP_TOKEN" in done.stderr


def test_first_review_in_a_new_checkout_fills_the_empty_store_first(cli_env, tmp_path, reviewer):
    env = {**cli_env, "DESIGN_REVIEW_STORE_PATH": str(tmp_path / "new-store")}
    done = run_cli(env, "review", str(FIXTURES / "fraud_metrics.md"), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert "ingesting it first" in done.stderr.decode()
    assert json.loads(done.stdout)["reviewer"]["corpus_version"] == reviewer.corpus_version
    store = store_for(get_settings(store_path=tmp_path / "new-store"))
    assert store.count(GUIDANCE) == reviewer.store.count(GUIDANCE) > 0
    again = run_cli(env, "review", str(FIXTURES / "fraud_metrics.md"), "--format", "json", cwd=tmp_path)
    assert again.returncode == 0 and "ingesting" not in again.stderr.decode()


def test_the_hash_key_command_prints_what_the_setting_accepts(cli_env, tmp_path):
    done = run_cli(cli_env, "hash-key", "my key", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.decode().strip() == hash_key("my key")
    fresh = run_cli(cli_env, "hash-key", cwd=tmp_path)
    key = fresh.stdout.decode().split()[1]
    assert hash_key(key) in fresh.stdout.decode()
