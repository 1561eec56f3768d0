"""Design files over REST (multipart/form-data) against a real server process: Word, PDF and HTML
are reviewed like markdown, with their places in the file; hostile files get a 413 or 422 that
says what to fix, in bounded time, and the server stays healthy."""

from __future__ import annotations

import time

import httpx
import pytest

from helpers import PITFALL, assert_review_shape, read_fixture
from servers import ProcessServer, process_env

from exports import DESIGN, HOSTILE, to_docx, to_html, to_pdf

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DESIGN_TEXT = read_fixture("random_split.md")  # a design with a pitfall


@pytest.fixture(scope="module")
def server(settings, ingested, tmp_path_factory):
    folder = tmp_path_factory.mktemp("files-server")
    env = process_env(settings, database_url=f"sqlite:///{folder}/reviews.db", rate_limit_per_minute="0",
                      max_request_bytes="30000000")
    proc = ProcessServer(env, folder / "server.log").start()
    yield proc
    proc.stop()


def upload(server, data: bytes, name: str, content_type: str, **fields) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/reviews", files={"file": (name, data, content_type)}, data=fields,
                      timeout=120)


@pytest.mark.parametrize("fmt,writer,content_type", [("docx", to_docx, DOCX_TYPE),
                                                     ("pdf", to_pdf, "application/pdf"),
                                                     ("html", to_html, "text/html")])
def test_a_file_is_reviewed_with_its_places(server, fmt, writer, content_type):
    response = upload(server, writer(DESIGN_TEXT), f"design.{fmt}", content_type, title="Ranking")
    assert response.status_code == 200, response.text
    review = response.json()
    assert_review_shape(review)
    assert review["document"]["source_format"] == fmt and review["document"]["title"] == "Ranking"
    (pitfall,) = [p for p in review["pitfalls"] if p["id"] == PITFALL]
    assert all(e["source_location"] for e in pitfall["evidence"])


def test_the_bytes_decide_the_format_not_the_name(server):
    response = upload(server, to_docx(DESIGN_TEXT), "design.md", "application/octet-stream")
    assert response.status_code == 200 and response.json()["document"]["source_format"] == "docx"
    response = upload(server, b"%!PS-Adobe-3.0 not a pdf at all", "design.pdf", "application/pdf")
    assert response.status_code == 422 and "bytes are not one" in response.json()["detail"]


def test_markdown_and_json_still_work(server):
    response = upload(server, DESIGN_TEXT.encode(), "design.md", "text/markdown")
    assert response.status_code == 200 and response.json()["document"]["source_format"] is None
    response = httpx.post(f"{server.url}/v1/reviews", json={"document": to_html(DESIGN_TEXT).decode(),
                                                            "format": "html"}, timeout=60)
    assert response.status_code == 200 and response.json()["document"]["source_format"] == "html"


def test_multipart_without_a_file_is_a_422(server):
    response = httpx.post(f"{server.url}/v1/reviews", data={"title": "x"},
                          files={"other": ("a.txt", b"x", "text/plain")}, timeout=30)
    assert response.status_code == 422 and "file" in response.json()["detail"]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_get_a_4xx_in_bounded_time(server, name):
    make, fmt, _, says = HOSTILE[name]
    started = time.monotonic()
    response = upload(server, make(), f"design.{fmt}", "application/octet-stream")
    assert response.status_code in (413, 422), response.text
    assert says in response.json()["detail"]
    assert time.monotonic() - started < 30


def test_the_server_is_healthy_after_the_hostile_files(server):
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
    assert upload(server, to_pdf(DESIGN_TEXT), "after.pdf", "application/pdf").status_code == 200
    assert "Traceback" not in server.logs()


def test_openapi_documents_json_and_multipart(server):
    body = httpx.get(f"{server.url}/openapi.json", timeout=10).json()["paths"]["/v1/reviews"]["post"]["requestBody"]
    assert set(body["content"]) == {"application/json", "multipart/form-data"}
    form = body["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"
