"""The local scorer's rules (app/scoring/local.py, passages.py), which hold whatever its fitted weights:
statuses follow the model's thresholds, evidence is a passage of the design's body, and a line
repeated counts once. (Which items a fixture covers, and how well the fitted weights agree with
labelled designs, is for the checks over labelled sets.)
"""

from __future__ import annotations

import pytest

from app.document.parse import parse_document
from helpers import read_fixture

NOT_COVERED = ("missing", "not_applicable")  # no evidence, no gap credit


def items_by_id(review) -> dict:
    return {i.id: i for s in review.stages for i in s.items}


@pytest.mark.parametrize("name", ["fraud_metrics.md", "plain_design.txt", "empty_headings.md"])
def test_item_status_follows_the_models_thresholds(reviewer, name):
    model = reviewer.scorer.model
    review = reviewer.review(read_fixture(name), fmt="text" if name.endswith(".txt") else "markdown")
    for item in items_by_id(review).values():
        if item.status == "covered":
            assert item.p_covered >= model.covered_at - 1e-4, item.id
        else:
            assert item.p_covered < model.covered_at + 1e-4, item.id
            assert (item.credit >= model.partial_at - 1e-4) == (item.status == "partial"), item.id
        assert (item.evidence == []) == (item.status in NOT_COVERED), item.id


@pytest.mark.parametrize("name", ["fraud_metrics.md", "random_split.md", "empty_headings.md"])
def test_evidence_is_a_passage_of_the_body_never_a_heading(reviewer, name):
    """An empty section is never cited: its heading is no evidence of anything. A cited span is a
    body window, or overlapping body windows merged, and holds no heading."""
    text = read_fixture(name)
    windows = parse_document(text).windows
    headings = [w for w in windows if w.kind == "heading"]
    body = [w for w in windows if w.kind != "heading"]
    spans = {(e.start_line, e.end_line) for i in items_by_id(reviewer.review(text)).values() for e in i.evidence}
    for a, b in spans:
        inside = [w for w in body if a <= w.start_line and w.end_line <= b]
        assert inside and min(w.start_line for w in inside) == a and max(w.end_line for w in inside) == b, (a, b)
        assert not any(a <= h.start_line <= b for h in headings), (a, b)


def test_a_line_repeated_counts_once(reviewer):
    """Pasting a design's body twice (padding by repetition) changes no verdict, score or evidence."""
    text = read_fixture("fraud_metrics.md")
    lines = text.rstrip("\n").split("\n")
    padded = "\n".join(lines + [""] + [line for line in lines if not line.startswith("#")]) + "\n"
    once, twice = reviewer.review(text), reviewer.review(padded)
    assert twice.document.lines > once.document.lines
    assert [s.model_dump() for s in twice.stages] == [s.model_dump() for s in once.stages]
    assert twice.overall == once.overall


def test_the_prototypes_shipped_are_the_ones_the_weights_were_fitted_with(tmp_path):
    """weights.json records the prototypes' sha256: another file, or none, is refused with the fix."""
    from app.scoring.local import PROTOTYPES_FILE, WEIGHTS_FILE, ScorerModel

    model = ScorerModel.load()
    assert model.prototypes and model.evidence is not None
    assert all(len(v) == 2 and v[0].shape == (384,) for v in model.prototypes.values())
    changed = tmp_path / "prototypes.npz"
    data = bytearray(PROTOTYPES_FILE.read_bytes())
    data[-1] ^= 1
    changed.write_bytes(bytes(data))
    for path in (changed, tmp_path / "absent.npz"):
        with pytest.raises(ValueError, match="training/fit.py"):
            ScorerModel.load(WEIGHTS_FILE, path)
