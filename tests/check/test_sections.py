"""Where findings point (app/check/sections.py, findings.py): a gap at its cited lines, else at the
section of its stage; line 1 only for a stage the design has no section for; one short sentence."""

from __future__ import annotations

import re

from app.check.annotations import render_github
from app.check.findings import first_sentence
from app.check.policy import Policy
from app.check.runner import CheckReport

from helpers import CHECK_FIXTURES

# good.md's headings, by the stage each one names.
NAMED = {"problem": "## Problem", "metrics": "## Metrics", "data": "## Data", "features": "## Features",
         "modeling": "## Model", "serving": "## Serving", "deployment": "## Deployment",
         "operations": "## Operations"}


def test_gaps_point_at_their_cited_lines_or_the_section_of_their_stage(judge):
    text = (CHECK_FIXTURES / "good.md").read_text()
    lines = text.split("\n")
    result = judge("good.md")
    items = {i.id: i for s in result.review.stages for i in s.items}
    stages = {s.id: s for s in result.review.stages}
    gaps = [f for f in result.findings if f.kind == "gap" and f.rule in items]
    assert gaps
    for f in gaps:
        cited = [(e.start_line, e.end_line) for e in items[f.rule].evidence]
        if cited:
            assert f.locations == cited, f.rule
        elif f.group in NAMED:
            assert lines[f.line - 1] == NAMED[f.group], (f.rule, f.line)
        else:  # no heading names the stage: the section that holds what it cites, else line 1
            stage_cites = [e for i in stages[f.group].items for e in i.evidence]
            assert lines[f.line - 1].startswith("## ") if stage_cites else f.line == 1, f.rule
    assert {f.group for f in gaps if not items[f.rule].evidence} & set(NAMED)


def test_a_design_without_headings_points_at_line_one_and_annotations_are_short(judge, source):
    result = judge("plain_design.txt")
    gaps = [f for f in result.findings if f.kind == "gap"]
    cited = {i.id for s in result.review.stages for i in s.items if i.evidence}
    assert gaps and all(f.line == 1 for f in gaps if f.rule not in cited)
    good = judge("good.md", Policy(fail_on="warning"))
    report = CheckReport(source.info, source.rubric, Policy(fail_on="warning"), [good])
    by_rule = {f.rule: f for f in good.findings}
    commands = [line for line in render_github(report).splitlines() if line.startswith("::")]
    assert commands
    for command in commands:
        rule = re.search(r"title=design-review ([^%]+)%3A", command).group(1)
        f, message = by_rule[rule], command.split("::", 2)[2]
        assert message.startswith(f.sentence.replace("%", "%25")), rule
        assert len(message) < len(f.one_line) + 200 and f.one_line not in message  # not the paragraph
        if f.questions:
            assert " Ask: " in message


def test_first_sentence_stops_at_the_first_full_stop():
    assert first_sentence("Labels cap what the model\n can learn. Natural labels are cheap.") == \
        "Labels cap what the model can learn."
    assert first_sentence("Scores of 0.5 and e.g. 12 ms. Next") == "Scores of 0.5 and e.g. 12 ms."
    assert first_sentence("Why? Because.") == "Why?"
    assert first_sentence("x" * 500).endswith("…") and len(first_sentence("x" * 500)) <= 240
