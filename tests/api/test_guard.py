"""The guard's catch-all: an unexpected error is a JSON 500 with the request id, no traceback."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from app.config import get_settings
from app.api.setup import install_operations
from app.review.service import ReviewService
from servers import serve


def test_an_unexpected_error_is_a_json_500_with_the_request_id_and_no_traceback(tmp_path):
    app = FastAPI()
    install_operations(app, ReviewService(get_settings(database_url=f"sqlite:///{tmp_path}/r.db"), None))

    @app.get("/ok")
    def ok() -> dict:
        return {"ok": True}

    @app.get("/boom")
    def boom() -> dict:
        raise RuntimeError("secret internals /etc/passwd")

    with serve(app, log_level="critical") as url:
        response = httpx.get(f"{url}/boom", headers={"X-Request-ID": "trace-500"}, timeout=10)
        assert response.status_code == 500
        assert response.headers["x-request-id"] == "trace-500"
        assert response.json()["request_id"] == "trace-500"
        assert "secret" not in response.text and "Traceback" not in response.text
        assert httpx.get(f"{url}/ok", timeout=10).status_code == 200
        metrics = httpx.get(f"{url}/metrics", timeout=10).text
        assert 'design_review_http_requests_total{method="GET",route="/boom",status="500"} 1.0' in metrics
