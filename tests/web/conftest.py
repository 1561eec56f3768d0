"""Fixtures for the review page in a real browser: Debian's chromium driven by Playwright.

`browser`: one headless chromium for the session (the system's, through executable_path: Playwright
cannot download its own here). `page`: a fresh context per test whose console messages, page errors
and dialogs are recorded (`page.seen`). `shot(page, name)`: a screenshot under the artifacts folder,
$DESIGN_REVIEW_ARTIFACTS or tests/web/artifacts/. `review_in_page(page, url, text)`: paste and review.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(os.environ.get("DESIGN_REVIEW_ARTIFACTS") or Path(__file__).parent / "artifacts")


def chromium_path() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]' brings playwright")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no chromium: apt-get install chromium (.ci/run does)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


class Seen:
    """What a page said: console messages, uncaught errors, dialogs (each dialog is dismissed)."""

    def __init__(self, page) -> None:
        self.console: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    tab.seen = Seen(tab)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def shot():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, full_page: bool = False) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path
    return save


@pytest.fixture(scope="session")
def review_in_page():
    """review_in_page(page, url, text, title=None): open the page, paste a design, press Review and
    wait for the chart."""
    def review(page, url: str, text: str, title: str | None = None) -> None:
        page.goto(f"{url}/")
        page.fill("#document", text)
        if title:
            page.fill("#title", title)
        page.click("#review-button")
        page.wait_for_selector("#chart svg")
    return review
