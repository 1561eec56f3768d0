"""The review page and the API documentation, served by the service itself with no network.

`/` (and `/ui`) is the review page, `/reviews/<id>` a stored review's page; both are one template
and a little plain JS under `static/` that call the public REST API like any other client. `/docs`
and `/redoc` load Swagger UI and ReDoc from `static/vendor/` (VENDORED.md: versions and licences).
Every page answers with a strict Content-Security-Policy: no inline script on the review page; the
docs pages allow only their own generated snippet, by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent
STATIC = "/static"
VENDOR = f"{STATIC}/vendor"
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                "X-Frame-Options": "DENY"}
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
# Swagger UI and ReDoc set inline styles, and ReDoc runs its search in a worker made from a blob.
DOCS_POLICY = ("default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; font-src 'self'; "
               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)

templates = Jinja2Templates(directory=HERE / "templates")


class SafeStaticFiles(StaticFiles):
    """Static files that a browser may not sniff into another type."""

    async def get_response(self, path: str, scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SAFE_HEADERS)
        return response


def with_policy(response: Response, policy: str = PAGE_POLICY) -> Response:
    """The response with the page headers: CSP, no sniffing, no referrer, no framing."""
    response.headers.update({**SAFE_HEADERS, "Content-Security-Policy": policy})
    return response


def docs_policy(html: str) -> str:
    """The docs pages' CSP: their scripts from this service, plus FastAPI's inline snippet by hash."""
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
                      for s in _INLINE_SCRIPT.findall(html))
    return DOCS_POLICY.format(hashes=hashes)


def install_pages(app: FastAPI) -> None:
    """Mount the static files and add the page and docs routes (none of them in the OpenAPI)."""
    app.mount(STATIC, SafeStaticFiles(directory=HERE / "static"), name="static")

    def page(request: Request, review_id: str | None = None) -> Response:
        return with_policy(templates.TemplateResponse(request, "page.html", {"review_id": review_id}))

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def review_page(request: Request) -> Response:
        """Paste or drop a design, review it, read the result."""
        return page(request)

    @app.get("/ui", include_in_schema=False)
    def ui() -> Response:
        return with_policy(RedirectResponse("/", status_code=308))

    @app.get("/reviews/{review_id}", include_in_schema=False)
    def stored_review_page(request: Request, review_id: str) -> Response:
        """A stored review's page: the page fetches it from GET /v1/reviews/{id} with the reader's key."""
        return page(request, review_id)

    @app.get("/docs", include_in_schema=False)
    def swagger() -> Response:
        html = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect")
        return with_policy(html, docs_policy(html.body.decode()))

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_redirect() -> Response:
        html = get_swagger_ui_oauth2_redirect_html()
        return with_policy(html, docs_policy(html.body.decode()))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> Response:
        html = get_redoc_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
                              redoc_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
                              with_google_fonts=False)
        return with_policy(html, docs_policy(html.body.decode()))

