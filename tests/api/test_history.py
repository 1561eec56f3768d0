"""Stored reviews over HTTP (app/api/history.py): a review by id, a document's history, the cache
that answers a repeated request from the store."""

from __future__ import annotations

import uuid

import pytest

from helpers import assert_review_shape, read_fixture


def test_a_returned_review_is_stored_and_served_by_id(client):
    review = client.post("/v1/reviews", json={"document": read_fixture("random_split.md"),
                                              "title": f"split {uuid.uuid4().hex}"}).json()
    stored = client.get(f"/v1/reviews/{review['id']}")
    assert stored.status_code == 200
    assert_review_shape(stored.json())
    assert stored.json()["id"] == review["id"] and stored.json()["overall"] == review["overall"]


def test_the_same_request_again_comes_from_the_store_without_scoring(client):
    body = {"document": read_fixture("plain_design.txt"), "format": "text", "title": uuid.uuid4().hex}
    first = client.post("/v1/reviews", json=body).json()
    again = client.post("/v1/reviews", json=body).json()
    assert first["reviewer"]["cached"] is False and again["reviewer"]["cached"] is True
    assert again["id"] == first["id"] and again["stages"] == first["stages"]
    other_title = client.post("/v1/reviews", json={**body, "title": uuid.uuid4().hex}).json()
    assert other_title["reviewer"]["cached"] is False and other_title["id"] != first["id"]


def test_a_documents_history_lists_its_reviews_newest_first(client):
    document = read_fixture("fraud_metrics.md") + f"\n<!-- {uuid.uuid4().hex} -->\n"
    ids = [client.post("/v1/reviews", json={"document": document, "title": f"t{n}"}).json()["id"]
           for n in range(3)]
    sha = client.get(f"/v1/reviews/{ids[0]}").json()["document"]["sha256"]
    page = client.get("/v1/reviews", params={"document_sha256": sha, "limit": 2}).json()
    assert page["total"] == 3 and page["next_offset"] == 2
    assert [r["id"] for r in page["reviews"]] == [ids[2], ids[1]]
    last = client.get("/v1/reviews", params={"document_sha256": sha.upper(), "offset": 2}).json()
    assert [r["id"] for r in last["reviews"]] == [ids[0]] and last["next_offset"] is None


def test_an_unknown_review_id_is_404_saying_where_ids_come_from(client):
    response = client.get("/v1/reviews/0123456789abcdef")
    assert response.status_code == 404
    assert "POST /v1/reviews" in response.json()["detail"]


@pytest.mark.parametrize("params", [{}, {"document_sha256": "xyz"}, {"document_sha256": "a" * 63},
                                    {"document_sha256": "a" * 64, "limit": 0},
                                    {"document_sha256": "a" * 64, "limit": 101},
                                    {"document_sha256": "a" * 64, "offset": -1}])
def test_a_bad_history_query_is_422(client, params):
    response = client.get("/v1/reviews", params=params)
    assert response.status_code == 422 and response.json()["detail"]
