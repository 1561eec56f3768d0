"""/docs and /redoc render with no network: Swagger UI and ReDoc come from the service itself."""

from __future__ import annotations

import pytest


@pytest.fixture
def offline(page, server_url):
    """The page, with every request that leaves the server refused and recorded."""
    outside = []

    def only_local(route):
        if route.request.url.startswith(server_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    page.route("**/*", only_local)
    page.outside = outside
    return page


def test_swagger_ui_renders_offline(offline, server_url, shot):
    offline.goto(f"{server_url}/docs")
    offline.wait_for_selector("#swagger-ui .opblock")
    assert offline.locator("#swagger-ui .opblock-summary-path", has_text="/v1/reviews").count() >= 1
    assert not offline.outside and not offline.seen.errors
    shot(offline, "docs-offline")


def test_redoc_renders_offline(offline, server_url):
    offline.goto(f"{server_url}/redoc")
    offline.wait_for_selector("h2:has-text('Create Review')")
    assert not offline.outside and not offline.seen.errors
