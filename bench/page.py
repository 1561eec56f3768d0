"""The review page in a real browser: its weight, and the time from pressing Review to the chart.

Serves the app over the ingested store (`make ingest`) with a new review database, opens `/` in
headless chromium (Debian's `chromium`, driven by Playwright), pastes the ~2,000-word design of
bench/speed.py (a new one each run, so none comes from the stored reviews), presses Review and
times, in the page, the click to the first frame with the stage chart drawn. Prints the page weight
(HTML + CSS + JS + fonts, uncompressed; the vendored Swagger UI and ReDoc of /docs are not part of
it) and p50/p95 over the runs. Usage: python bench/page.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile

from speed import design, marker, pct, start_server

from app.config import get_settings

BUDGET_BYTES = 250_000
# In the page: click Review, resolve with the milliseconds until a frame shows the chart.
TIME_TO_CHART = """() => new Promise((resolve) => {
  const chart = document.getElementById("chart");
  const started = performance.now();
  new MutationObserver((_, observer) => {
    if (!chart.querySelector("svg")) return;
    observer.disconnect();
    requestAnimationFrame(() => resolve(performance.now() - started));
  }).observe(chart, { childList: true });
  document.getElementById("review-button").click();
})"""


def page_weight(page, url: str) -> dict[str, int]:
    """Bytes of each file the page loads (document, styles, scripts, fonts)."""
    sizes: dict[str, int] = {}

    def count(response) -> None:
        if response.request.resource_type in {"document", "stylesheet", "script", "font"}:
            sizes[response.url.removeprefix(url)] = len(response.body())
    page.on("response", count)
    page.goto(f"{url}/")
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", count)
    return sizes


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no chromium: apt-get install chromium")
    settings = get_settings()
    database = tempfile.TemporaryDirectory()
    env = {**os.environ, "DESIGN_REVIEW_STORE_PATH": str(settings.store_path.resolve()),
           "DESIGN_REVIEW_DATABASE_URL": f"sqlite:///{database.name}/reviews.db",
           "DESIGN_REVIEW_RATE_LIMIT_PER_MINUTE": "0"}
    proc, url, _ = start_server(env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            sizes = page_weight(page, url)
            total = sum(sizes.values())
            print(f"page weight: {total / 1000:.1f} KB uncompressed in {len(sizes)} files "
                  f"(budget {BUDGET_BYTES / 1000:.0f} KB): "
                  + ", ".join(f"{name} {size / 1000:.1f}" for name, size in sorted(sizes.items())))
            text = design(marker(0))
            print(f"design: {len(text.split())} words")
            samples = []
            for run in range(args.runs + 1):  # the first run warms the server up and is left out
                page.goto(f"{url}/")
                page.fill("#document", design(marker(run + 1)))
                elapsed = page.evaluate(TIME_TO_CHART) / 1000
                if run:
                    samples.append(elapsed)
            browser.close()
        print(f"Review pressed to chart on screen: p50 {pct(samples, .5) * 1000:.0f} ms   "
              f"p95 {pct(samples, .95) * 1000:.0f} ms   ({args.runs} runs)")
    finally:
        proc.terminate()
        proc.wait(timeout=15)


if __name__ == "__main__":
    main()
