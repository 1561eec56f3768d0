"""The command line's --backend and --repeat with the LLM scorer, against the OpenAI-compatible
stand-in (tests/llm_standin.py): `review` with its disk cache, `review --repeat`, and `check`."""

from __future__ import annotations

import json
import subprocess

import pytest

from helpers import FIXTURES, cli_command
from llm_standin import every_item, running_standin


@pytest.fixture(scope="module")
def standin():
    with running_standin() as s:
        yield s


def _env(cli_env, standin, tmp_path):
    return {**cli_env, "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": standin.url,
            "DESIGN_REVIEW_LLM_MODEL": "standin-model", "DESIGN_REVIEW_LLM_CACHE_DIR": str(tmp_path)}


def test_cli_review_with_the_llm_and_its_cache(cli_env, standin, tmp_path):
    standin.reset(every_item("m"))
    path = FIXTURES / "fraud_metrics.md"
    env = _env(cli_env, standin, tmp_path)
    runs = [subprocess.run(cli_command("review", str(path), "--format", "json", "--backend", "llm"),
                           env=env, capture_output=True, text=True, timeout=300) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    first, second = (json.loads(r.stdout)["reviewer"] for r in runs)
    assert first["backend"] == second["backend"] == "llm"
    assert (first["usage"]["calls"], second["usage"]["calls"]) == (1, 0)  # the second run: the disk cache
    assert len(standin.calls) == 1
    local = subprocess.run(cli_command("review", str(path), "--format", "json", "--backend", "local"),
                           env=env, capture_output=True, text=True, timeout=300)
    assert json.loads(local.stdout)["reviewer"]["backend"] == "local"


def test_cli_repeat_reports_agreement(cli_env, standin, tmp_path):
    standin.reset(every_item("m"))
    path = FIXTURES / "fraud_metrics.md"
    run = subprocess.run(cli_command("review", str(path), "--repeat", "3", "--format", "json"),
                         env=_env(cli_env, standin, tmp_path), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["runs"] == 3 and report["backends"] == ["llm"] and len(standin.calls) == 3
    assert report["unanimous_items"] == report["items"] and report["mean_agreement"] == 1.0


def test_cli_check_with_the_llm(cli_env, standin, tmp_path):
    standin.reset(every_item("m"))
    path = FIXTURES / "fraud_metrics.md"
    run = subprocess.run(cli_command("check", str(path), "--backend", "llm", "--format", "json", "--no-exit"),
                         env=_env(cli_env, standin, tmp_path), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "\"backend\": \"llm\"" in run.stdout and len(standin.calls) == 1
