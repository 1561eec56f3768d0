"""The page is safe by construction: a design's text never becomes HTML, no inline script runs
under the page's Content-Security-Policy, and the page and its files carry the safety headers."""

from __future__ import annotations

import uuid

import httpx
import pytest

from helpers import PITFALL_LINE, read_fixture

HOSTILE = """# <img src=x onerror="window.__pwned = 'title'; console.log('pwned')"> Fraud model

We flag card payments as fraud. <script>window.__pwned = 'script'; alert('pwned')</script>
<img src=x onerror="window.__pwned = 'img'; alert('pwned')">
<svg onload="window.__pwned = 'svg'"></svg> <a href="javascript:alert('pwned')">link</a>

"""


def test_a_hostile_design_renders_as_text_and_runs_nothing(page, server_url, shot, review_in_page):
    body = read_fixture("fraud_metrics.md").split("\n", 1)[1]  # its own title line gives way to HOSTILE's
    text = HOSTILE + body + f"\n## Evaluation\n\n{PITFALL_LINE}\n\n<!-- {uuid.uuid4().hex} -->\n"
    review_in_page(page, server_url, text)
    page.locator("#pitfalls button.jump").first.click()
    assert page.evaluate("window.__pwned") is None
    assert not page.seen.dialogs
    assert not [m for m in page.seen.console if "pwned" in m]
    assert page.locator("#result img, #result script, #result a[href^=javascript]").count() == 0
    assert page.locator("#doc svg").count() == 0
    assert "<script>window.__pwned = 'script'" in page.locator("#doc").text_content()
    assert page.locator("#result-title").text_content().startswith("<img src=x")
    assert page.locator("#doc li.hl").count() >= 1
    shot(page, "hostile-design-as-text")


@pytest.mark.parametrize("path", ["/", "/reviews/abc", "/docs", "/redoc"])
def test_pages_carry_a_strict_policy_and_the_safety_headers(server_url, path):
    response = httpx.get(f"{server_url}{path}", timeout=30)
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    policy = response.headers["content-security-policy"]
    script = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script and "http" not in script
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    if path in {"/", "/reviews/abc"}:
        assert "<script>" not in response.text  # only script files: nothing inline
        assert script.strip() == "script-src 'self'"


def test_static_files_are_not_sniffed_and_ui_goes_to_the_page(server_url):
    script = httpx.get(f"{server_url}/static/page.js", timeout=30)
    assert script.status_code == 200 and script.headers["x-content-type-options"] == "nosniff"
    assert "javascript" in script.headers["content-type"]
    ui = httpx.get(f"{server_url}/ui", timeout=30)
    assert ui.status_code == 308 and ui.headers["location"] == "/"
    assert httpx.get(f"{server_url}/static/nothing.js", timeout=30).status_code == 404


def test_a_hostile_review_id_in_the_path_stays_text(page, server_url):
    hostile = '"><svg onload=alert(1)><img src=x onerror=alert(2)>'
    response = httpx.get(f"{server_url}/reviews/{hostile}", timeout=30)
    assert response.status_code == 200 and "<svg onload" not in response.text
    page.goto(f"{server_url}/reviews/{hostile}")
    page.wait_for_selector("#message:not([hidden])")
    assert page.locator("#message").text_content().startswith("Not found:")
    assert not page.seen.dialogs and page.locator("body img").count() == 0
