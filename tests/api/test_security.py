"""API keys (app/api/security.py), request ids, JSON logs and /metrics, against a real server process
with keys set. (Key hashing itself, app/keys.py: tests/test_keys.py.)"""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest

from app.api.security import KeyRing, key_id
from app.keys import hash_key
from helpers import read_fixture
from servers import ProcessServer, process_env

PLAIN_KEY = "plain-" + uuid.uuid4().hex
HASHED_KEY = "hashed-" + uuid.uuid4().hex
LIMITED_KEY = "limited-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def secured(settings, ingested, tmp_path_factory):
    """A server process with three keys (one given as its hash), a rate limit of 5 in a burst."""
    folder = tmp_path_factory.mktemp("secured")
    keys = ",".join([PLAIN_KEY, hash_key(HASHED_KEY), LIMITED_KEY])
    env = process_env(settings, api_keys=keys, database_url=f"sqlite:///{folder}/r.db",
                      rate_limit_per_minute="30", rate_limit_burst="5", max_request_bytes="100000")
    server = ProcessServer(env, folder / "server.log").start()
    yield server
    server.stop()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": PLAIN_KEY},
                                     {"Authorization": f"Basic {PLAIN_KEY}"}, {"Authorization": "Bearer"}])
def test_a_missing_or_wrong_key_is_401_with_www_authenticate(secured, headers):
    response = httpx.get(f"{secured.url}/v1/rubric", headers=headers, timeout=30)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response.json()["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("key", [PLAIN_KEY, HASHED_KEY])
def test_a_plain_or_hashed_key_gets_in(secured, key):
    response = httpx.get(f"{secured.url}/v1/rubric", headers=auth(key), timeout=30)
    assert response.status_code == 200 and response.json()["stages"]


@pytest.mark.parametrize("path", ["/v1/reviews/abc", "/metrics", "/no/such/route"])
def test_every_other_route_needs_the_key(secured, path):
    assert httpx.get(f"{secured.url}{path}", timeout=30).status_code == 401
    post = httpx.post(f"{secured.url}/v1/reviews", json={"document": "# x\nA design."}, timeout=30)
    assert post.status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/docs", "/openapi.json", "/redoc"])
def test_health_and_docs_are_open(secured, path):
    assert httpx.get(f"{secured.url}{path}", timeout=30).status_code == 200


def test_the_slack_route_is_left_to_slacks_signature(secured):
    response = httpx.post(f"{secured.url}/slack/events", content=b"{}", timeout=30)
    assert response.status_code == 503 and "SLACK_SIGNING_SECRET" in response.json()["detail"]


def test_openapi_declares_the_bearer_scheme(secured):
    spec = httpx.get(f"{secured.url}/openapi.json", timeout=30).json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "an API key from DESIGN_REVIEW_API_KEYS"}
    assert spec["paths"]["/v1/reviews"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in spec["paths"]["/healthz"]["get"]


def test_the_rate_limit_is_per_key_with_retry_after(secured):
    answers = [httpx.get(f"{secured.url}/v1/rubric", headers=auth(LIMITED_KEY), timeout=30)
               for _ in range(8)]
    statuses = [a.status_code for a in answers]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
    limited = next(a for a in answers if a.status_code == 429)
    assert int(limited.headers["retry-after"]) >= 1
    assert "DESIGN_REVIEW_RATE_LIMIT_PER_MINUTE" in limited.json()["detail"]
    other = httpx.get(f"{secured.url}/v1/rubric", headers=auth(HASHED_KEY), timeout=30)
    assert other.status_code == 200  # another key's bucket is full


def test_a_body_over_the_limit_is_413_before_it_is_read(secured):
    big = b'{"document": "' + b"a" * 5_000_000 + b'"}'
    response = httpx.post(f"{secured.url}/v1/reviews", content=big, headers={
        **auth(PLAIN_KEY), "content-type": "application/json"}, timeout=30)
    assert response.status_code == 413 and "DESIGN_REVIEW_MAX_REQUEST_BYTES" in response.json()["detail"]

    def chunks():  # no Content-Length: the guard counts what arrives
        for _ in range(50):
            yield b"a" * 10_000
    chunked = httpx.post(f"{secured.url}/v1/reviews", content=chunks(), headers={
        **auth(PLAIN_KEY), "content-type": "application/json"}, timeout=30)
    assert chunked.status_code == 413
    assert httpx.get(f"{secured.url}/healthz", timeout=30).status_code == 200


@pytest.mark.parametrize("given, kept", [("req-42.a:b_c", True), ("x" * 129, False),
                                         ("has space", False), ("caf\u00e9", False)])
def test_the_request_id_is_echoed_when_safe_else_made_up(secured, given, kept):
    response = httpx.get(f"{secured.url}/healthz", headers={"X-Request-ID": given.encode("utf-8")},
                         timeout=30)
    if kept:
        assert response.headers["x-request-id"] == given
    else:
        assert response.headers["x-request-id"] != given and len(response.headers["x-request-id"]) == 32


def test_log_lines_are_json_with_request_and_key_ids_but_no_key_or_text(secured):
    marker = uuid.uuid4().hex
    document = read_fixture("fraud_metrics.md") + f"\nSecret design detail {marker}.\n"
    rid = f"trace-{marker}"
    response = httpx.post(f"{secured.url}/v1/reviews", json={"document": document},
                          headers={**auth(PLAIN_KEY), "X-Request-ID": rid}, timeout=60)
    assert response.status_code == 200 and response.headers["x-request-id"] == rid
    logs = secured.logs()
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == rid]
    assert len(mine) == 1
    assert mine[0]["method"] == "POST" and mine[0]["path"] == "/v1/reviews" and mine[0]["status"] == 200
    assert mine[0]["key_id"] == key_id(hash_key(PLAIN_KEY)) and mine[0]["duration_ms"] > 0
    for secret in (PLAIN_KEY, HASHED_KEY, LIMITED_KEY, marker + "."):
        assert secret not in logs


def patiently(method: str, url: str, **kwargs) -> httpx.Response:
    """A request that, like a well-behaved client, waits out a 429 (the module's keys share a
    small rate limit with the other tests)."""
    for _ in range(10):
        response = httpx.request(method, url, timeout=60, **kwargs)
        if response.status_code != 429:
            return response
        time.sleep(float(response.headers["retry-after"]))
    return response


def test_metrics_count_requests_reviews_and_cache_hits(secured):
    body = {"document": read_fixture("random_split.md"), "title": uuid.uuid4().hex}
    assert httpx.get(f"{secured.url}/v1/rubric", timeout=30).status_code == 401
    for _ in range(2):
        assert patiently("POST", f"{secured.url}/v1/reviews", json=body,
                         headers=auth(PLAIN_KEY)).status_code == 200
    response = patiently("GET", f"{secured.url}/metrics", headers=auth(PLAIN_KEY))
    assert response.status_code == 200, response.text
    samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
               for line in response.text.splitlines() if line and not line.startswith("#")}
    assert samples['design_review_reviews_total{backend="local",cached="true",degraded="false"}'] >= 1
    assert samples["design_review_review_cache_hits_total"] >= 1
    assert samples['design_review_http_requests_total{method="POST",route="/v1/reviews",status="200"}'] >= 2
    assert samples['design_review_http_request_duration_seconds_count{method="POST",route="/v1/reviews"}'] >= 2
    assert any(k.startswith("design_review_http_requests_total") and 'status="401"' in k for k in samples)


def test_the_key_ring_accepts_a_bearer_key_by_its_hash_only():
    ring = KeyRing([hash_key(PLAIN_KEY), hash_key(HASHED_KEY)])
    assert ring.check(f"bearer {PLAIN_KEY}") == key_id(hash_key(PLAIN_KEY))
    assert ring.check(f"Bearer {HASHED_KEY}") == key_id(hash_key(HASHED_KEY))
    assert key_id(hash_key(PLAIN_KEY)) != key_id(hash_key(HASHED_KEY))
    assert PLAIN_KEY not in key_id(hash_key(PLAIN_KEY))
    for header in (f"Bearer {PLAIN_KEY}x", f"Basic {PLAIN_KEY}", PLAIN_KEY, "Bearer", "", None):
        assert ring.check(header) is None, header


def test_guessing_keys_is_rate_limited_per_address(settings, ingested, tmp_path):
    """401s once came as fast as a client could ask; now 10 failures, then 429 with Retry-After,
    while a valid key still gets through."""
    import httpx as _httpx

    from app.config import get_settings as _get_settings
    from servers import app_server as _app_server

    with _app_server(_get_settings(store_path=settings.store_path, corpus_dir=settings.corpus_dir,
                                   database_url=f"sqlite:///{tmp_path}/r.db", api_keys="the-right-key",
                                   rate_limit_per_minute=0, failed_auth_per_minute=10)) as url:
        answers = [_httpx.get(f"{url}/v1/rubric", headers={"Authorization": f"Bearer guess-{k}"}, timeout=10)
                   for k in range(14)]
        codes = [a.status_code for a in answers]
        assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}, codes
        assert int(answers[-1].headers["retry-after"]) >= 1
        good = _httpx.get(f"{url}/v1/rubric", headers={"Authorization": "Bearer the-right-key"}, timeout=10)
        assert good.status_code == 200
