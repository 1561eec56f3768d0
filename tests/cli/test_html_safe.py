"""No raw HTML from a design or a repository reaches a report that a forge or a wiki renders:
the review's markdown (title, quotes) and check's markdown and SARIF (waiver reasons). The real CLI."""

from __future__ import annotations

import json
import subprocess

from app.review.render import html_safe, render_markdown
from helpers import cli_command, read_fixture

SCRIPT = "<script>alert(3)</script>"
IMG = "<img src=https://attacker.example/x.png>"


def test_review_markdown_escapes_the_title_and_quotes(cli_env, tmp_path, reviewer):
    design = tmp_path / "design.md"
    design.write_text(read_fixture("random_split.md"))
    done = subprocess.run(cli_command("review", str(design), "--format", "markdown", "--title", SCRIPT),
                          capture_output=True, text=True, env=cli_env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert SCRIPT not in done.stdout and html_safe(SCRIPT) in done.stdout
    review = reviewer.review(read_fixture("random_split.md"))
    assert review.pitfalls, "the fixture makes a mistake whose quote the report shows"
    hostile = review.pitfalls[0].evidence[0].model_copy(update={"quote": IMG})
    pitfall = review.pitfalls[0].model_copy(update={"evidence": [hostile]})
    page = render_markdown(review.model_copy(update={"pitfalls": [pitfall]}))
    assert IMG not in page and html_safe(IMG) in page


def test_check_markdown_and_sarif_escape_waiver_reasons(cli_env, tmp_path):
    design = tmp_path / "docs" / "design.md"
    design.parent.mkdir()
    design.write_text(f"<!-- design-review: ignore metrics -- {IMG} -->\n" + read_fixture("fraud_metrics.md"))
    sarif = tmp_path / "out.sarif"
    done = subprocess.run(cli_command("check", str(design), "--no-exit", "--format", "markdown",
                                      "--output", f"sarif={sarif}"),
                          capture_output=True, text=True, env=cli_env, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert IMG not in done.stdout and html_safe(IMG) in done.stdout
    text = sarif.read_text()
    reasons = [s["justification"] for run in json.loads(text)["runs"] for r in run["results"]
               for s in r.get("suppressions", [])]
    assert reasons and all("<img" not in r for r in reasons)
