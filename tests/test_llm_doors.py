"""The LLM scorer through the doors: the REST API's "backend" field and the CLI's --backend and --repeat."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from app.config import get_settings
from app.main import create_app

from helpers import ONNX_DIR, REPO, assert_review_shape, cli_command, read_fixture
from llm_standin import every_item, running_standin, serve

DOC = read_fixture("fraud_metrics.md")


@pytest.fixture(scope="module")
def standin():
    with running_standin() as s:
        yield s


@pytest.fixture(scope="module")
def api(settings, ingested, standin):
    app_settings = get_settings(store_path=settings.store_path, corpus_dir=settings.corpus_dir,
                                onnx_cache_dir=ONNX_DIR, llm_api_key="test-key", llm_base_url=standin.url,
                                llm_model="standin-model", llm_cache_dir=None)
    with serve(create_app(app_settings)) as url:
        with httpx.Client(base_url=url, timeout=60) as client:
            for _ in range(600):
                if client.get("/healthz").status_code == 200:
                    break
                __import__("time").sleep(0.1)
            yield client


def test_rest_backend_field_chooses_the_scorer(api, standin):
    standin.reset(every_item("m"))
    llm = api.post("/v1/reviews", json={"document": DOC, "backend": "llm"})
    assert llm.status_code == 200, llm.text
    body = llm.json()
    assert_review_shape(body)
    assert body["reviewer"]["backend"] == "llm" and body["reviewer"]["usage"]["input_tokens"] == 1000
    assert len(standin.calls) == 1
    local = api.post("/v1/reviews", json={"document": DOC, "backend": "local"}).json()
    assert local["reviewer"]["backend"] == "local" and local["reviewer"]["usage"] is None
    assert len(standin.calls) == 1
    default = api.post("/v1/reviews", json={"document": DOC + "\nx\n"}).json()
    assert default["reviewer"]["backend"] == "llm"  # auto: configured, so the LLM scorer
    assert api.post("/v1/reviews", json={"document": DOC, "backend": "gpt"}).status_code == 422


def test_rest_fault_is_a_degraded_200(api, standin):
    from llm_standin import status
    standin.reset(status(500))
    response = api.post("/v1/reviews", json={"document": DOC + "\nfault\n", "backend": "llm"})
    assert response.status_code == 200
    assert response.json()["reviewer"]["degraded"] is True


def _env(cli_env, standin, tmp_path):
    return {**cli_env, "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": standin.url,
            "DESIGN_REVIEW_LLM_MODEL": "standin-model", "DESIGN_REVIEW_LLM_CACHE_DIR": str(tmp_path)}


def test_cli_review_with_the_llm_and_its_cache(cli_env, standin, tmp_path):
    standin.reset(every_item("m"))
    path = REPO / "tests" / "fixtures" / "fraud_metrics.md"
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
    path = REPO / "tests" / "fixtures" / "fraud_metrics.md"
    run = subprocess.run(cli_command("review", str(path), "--repeat", "3", "--format", "json"),
                         env=_env(cli_env, standin, tmp_path), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["runs"] == 3 and report["backends"] == ["llm"] and len(standin.calls) == 3
    assert report["unanimous_items"] == report["items"] and report["mean_agreement"] == 1.0


def test_cli_check_with_the_llm(cli_env, standin, tmp_path):
    standin.reset(every_item("m"))
    path = REPO / "tests" / "fixtures" / "fraud_metrics.md"
    run = subprocess.run(cli_command("check", str(path), "--backend", "llm", "--format", "json", "--no-exit"),
                         env=_env(cli_env, standin, tmp_path), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "\"backend\": \"llm\"" in run.stdout and len(standin.calls) == 1
