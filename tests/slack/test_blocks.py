"""Block Kit messages (app/slack/blocks.py): whatever the review, within Slack's limits."""

from __future__ import annotations

from app.review.model import Evidence, PitfallFinding
from app.slack.blocks import review_message
from helpers import read_fixture
from slack_standin import block_texts, limit_problems


def test_a_huge_review_is_cut_to_slacks_limits_with_a_note(reviewer):
    base = reviewer.review(read_fixture("random_split.md"))
    long = "x" * 5000
    stages = [s.model_copy(update={"title": f"{s.title} <!channel> {long}", "gaps": [
        g.model_copy(update={"why": long, "questions": [long] * 30, "title": g.title * 50}) for g in s.gaps] * 5})
        for s in base.stages] * 10
    pitfalls = [PitfallFinding(id=f"pitfall.p{n}", title=f"pitfall {n} {long}", severity="warning",
                               confidence=0.9, why=long, questions=[long] * 5,
                               evidence=[Evidence(start_line=1, end_line=1, quote=long)] * 40) for n in range(80)]
    huge = base.model_copy(update={
        "stages": stages, "pitfalls": pitfalls,
        "document": base.document.model_copy(update={"title": "<!channel> " + "T" * 60_000})})
    payload = review_message(huge)
    assert limit_problems(payload) == []
    assert len(payload["blocks"]) == 50 and len(payload["text"]) <= 40_000
    assert "cut at Slack's 50-block limit" in block_texts(payload)
    assert any("cut at Slack's 3000-character limit" in (b.get("text") or {}).get("text", "")
               for b in payload["blocks"])
    assert "<!channel>" not in block_texts(payload).replace(payload["blocks"][0]["text"]["text"], "")
    assert "<!channel>" not in payload["text"]
