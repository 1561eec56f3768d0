"""Waivers in a document's comments (app/check/waivers.py)."""

from __future__ import annotations

from app.check.waivers import parse_waivers


def test_waivers_are_read_from_comments_with_ids_reasons_and_lines():
    text = ("# T\n<!-- design-review: ignore deployment.canary -- rolled out by the platform team -->\n"
            "text\n<!-- design-review: ignore metrics, pitfall.label_leakage \u2014 reviewed in Q2 -->\n"
            "<!-- design-review: ignore deep_dive.bias -->\n<!-- design-review: ignore nope.item -- x -->\n"
            "<!-- design-review: please skip -->\n<!-- an ordinary comment -->\n")
    known = {"deployment.canary", "metrics", "pitfall.label_leakage", "deep_dive.bias"}
    waivers, problems = parse_waivers(text, known)
    assert [(w.ids, w.reason, w.line) for w in waivers] == [
        (("deployment.canary",), "rolled out by the platform team", 2),
        (("metrics", "pitfall.label_leakage"), "reviewed in Q2", 4),
        (("deep_dive.bias",), "", 5)]
    assert [(p.rule, p.line) for p in problems] == [
        ("design-review/waiver-without-reason", 5), ("design-review/waiver-unknown-id", 6),
        ("design-review/waiver-malformed", 7)]
    assert waivers[1].covers("metrics.online", "metrics") and not waivers[0].covers("x", "deployment")
