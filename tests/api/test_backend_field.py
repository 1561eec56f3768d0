"""The REST API's "backend" field: the LLM scorer (against the OpenAI-compatible stand-in,
tests/llm_standin.py) or the local one, and an LLM fault answered as a degraded 200."""

from __future__ import annotations

import httpx
import pytest

from app.config import get_settings
from helpers import assert_review_shape, read_fixture
from llm_standin import every_item, running_standin, status
from servers import app_server

DOC = read_fixture("fraud_metrics.md")


@pytest.fixture(scope="module")
def standin():
    with running_standin() as s:
        yield s


@pytest.fixture(scope="module")
def api(settings, ingested, standin):
    app_settings = get_settings(store_path=settings.store_path, corpus_dir=settings.corpus_dir,
                                llm_api_key="test-key", llm_base_url=standin.url,
                                llm_model="standin-model", llm_cache_dir=None)
    with app_server(app_settings, timeout=60) as url:
        with httpx.Client(base_url=url, timeout=60) as client:
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
    standin.reset(status(500))
    response = api.post("/v1/reviews", json={"document": DOC + "\nfault\n", "backend": "llm"})
    assert response.status_code == 200
    assert response.json()["reviewer"]["degraded"] is True
