"""The REST API's routes (app/api/routes.py, app/api/app.py) over real HTTP: uvicorn on a loopback
port, httpx as the client.

The `client` fixture fails any test whose request gets a 5xx answer.
"""

from __future__ import annotations

import hashlib

import httpx
import pytest

from app.config import get_settings
from helpers import SERVER_MAX_BYTES, SERVER_MAX_LINES, assert_review_shape, read_fixture
from servers import app_server, wait_healthy


def post_review(client, **body):
    return client.post("/v1/reviews", json=body)


def test_healthz_reports_model_and_store_ready(client, reviewer):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["model"] is True and body["store"] is True
    assert body["rubric_version"] == reviewer.rubric.version


def test_review_returns_the_review_json(client):
    text = read_fixture("fraud_metrics.md")
    response = post_review(client, document=text)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    review = response.json()
    assert_review_shape(review)
    assert review["document"]["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert [s["id"] for s in review["stages"]][:2] == ["problem", "metrics"]
    assert len(review["stages"]) == 10


def test_review_agrees_with_the_reviewer_in_process(client, reviewer):
    text = read_fixture("random_split.md")
    over_http = post_review(client, document=text).json()
    in_process = reviewer.review(text).model_dump(mode="json")
    assert over_http["overall"] == in_process["overall"]
    assert over_http["stages"] == in_process["stages"] and over_http["topics"] == in_process["topics"]
    assert over_http["pitfalls"] == in_process["pitfalls"]


def test_plain_text_format_and_title_are_honoured(client):
    response = post_review(client, document=read_fixture("plain_design.txt"), format="text",
                           title="Delivery ETA")
    assert response.status_code == 200
    review = response.json()
    assert review["document"]["title"] == "Delivery ETA"
    assert len(review["stages"]) == 10


@pytest.mark.parametrize("document", ["", "   ", "\n\t \n"])
def test_empty_document_is_422_naming_document(client, document):
    response = post_review(client, document=document)
    assert response.status_code == 422
    assert "document" in response.json()["detail"]


@pytest.mark.parametrize("body, field", [
    ({}, "document"),
    ({"format": "markdown"}, "document"),
    ({"document": 42}, "document"),
    ({"document": ["a", "list"]}, "document"),
    ({"document": "# Design", "format": "pdf"}, "format"),
    ({"document": "# Design", "title": 7}, "title"),
    ({"document": "# Design", "colour": "blue"}, "colour"),
])
def test_malformed_request_is_422_naming_the_field(client, body, field):
    response = client.post("/v1/reviews", json=body)
    assert response.status_code == 422
    assert field in response.json()["detail"]


@pytest.mark.parametrize("raw", [b"{not json", b'{"document": "unterminated', b"", b"\xff\xfe",
                                 b"[1, 2]", b'"just a string"', b"null"])
def test_invalid_json_body_is_422(client, raw):
    response = client.post("/v1/reviews", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"]


def test_text_that_is_not_unicode_is_422(client):
    for raw in (rb'{"document": "half a pair \ud800 of surrogates"}', rb'{"document": "nul \u0000 byte"}'):
        response = client.post("/v1/reviews", content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 422, raw


def test_document_over_the_byte_limit_is_413(client):
    document = "# Big design\n\n" + "word " * (SERVER_MAX_BYTES // 5 + 10)
    response = post_review(client, document=document)
    assert response.status_code == 413
    assert str(SERVER_MAX_BYTES) in response.json()["detail"]


def test_document_over_the_line_limit_is_413(client):
    document = "\n".join(f"- point {n}" for n in range(SERVER_MAX_LINES + 5))
    assert len(document.encode()) < SERVER_MAX_BYTES
    response = post_review(client, document=document)
    assert response.status_code == 413
    assert "lines" in response.json()["detail"]


def test_rubric_lists_ten_stages_five_topics_six_pitfalls(client, reviewer):
    response = client.get("/v1/rubric")
    assert response.status_code == 200
    rubric = response.json()
    assert [s["id"] for s in rubric["stages"]] == [g.id for g in reviewer.rubric.stages]
    assert len(rubric["stages"]) == 10
    assert len(rubric["topics"]) == 5
    assert len(rubric["pitfalls"]) == 6
    assert rubric["version"] == reviewer.rubric.version
    assert all(item["questions"] for s in rubric["stages"] for item in s["items"])


def test_docs_and_openapi_are_served(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    spec = client.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert {"/v1/reviews", "/v1/rubric", "/healthz"} <= set(paths)


@pytest.mark.parametrize("method, path, status", [("PUT", "/v1/reviews", 405),
                                                  ("GET", "/no/such/route", 404),
                                                  ("DELETE", "/v1/rubric", 405)])
def test_wrong_routes_are_4xx(client, method, path, status):
    assert client.request(method, path).status_code == status


def test_a_server_without_a_store_refuses_bad_input_first_then_names_the_fix(tmp_path):
    settings = get_settings(store_path=tmp_path / "never-ingested", database_url=f"sqlite:///{tmp_path}/r.db")
    with app_server(settings, healthy=False) as url:
        health = wait_healthy(url, timeout=60, allow_error=True)
        assert health.status_code == 503 and health.json()["status"] == "error"
        empty = httpx.post(f"{url}/v1/reviews", json={"document": " \n "}, timeout=30)
        assert empty.status_code == 422 and "empty" in empty.json()["detail"]
        good = httpx.post(f"{url}/v1/reviews", json={"document": "# A design\n\nWe report PR-AUC."},
                          timeout=30)
        assert good.status_code == 503
        assert "design-review ingest" in good.json()["detail"]
        assert good.headers.get("retry-after")
