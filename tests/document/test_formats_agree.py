"""The same design as markdown, .docx, .pdf and .html gets the same review: the item verdicts (at
most 2 of 92 differ) and the same pitfalls, found at the same text, with their place in the file.

The files are written here from the markdown designs of ../shared/eval/dev (exports.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.review.service import ReviewRequest, local_service

from exports import to_docx, to_html, to_pdf
from helpers import REPO

DEV = REPO.parent / "shared" / "eval" / "dev"
DESIGNS = sorted(DEV.glob("*.md"))
WRITERS = {"docx": to_docx, "pdf": to_pdf, "html": to_html}
MAX_DIFFERENT = 2
_WORD = re.compile(r"[a-z0-9]+")

pytestmark = pytest.mark.skipif(not DESIGNS, reason=f"no designs in {DEV}")


@pytest.fixture(scope="module")
def service(settings, reviewer):
    return local_service(settings, reviewer)


@pytest.fixture(scope="module")
def markdown_reviews(service):
    return {p.name: service.review_now(ReviewRequest(document=p.read_bytes(), format="markdown")).review
            for p in DESIGNS}


def verdicts(review) -> dict[str, str]:
    return {i.id: i.status for i in [*(i for s in review.stages for i in s.items), *review.topic_items]}


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def same_text(a: str, b: str) -> bool:
    """Two quotes of the same passage: most words of the shorter one are in the other."""
    wa, wb = words(a), words(b)
    return bool(wa and wb) and len(wa & wb) >= 0.6 * min(len(wa), len(wb))


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_dev_design_gets_the_same_review_in_each_format(service, markdown_reviews, fmt):
    report = []
    for path in DESIGNS:
        data = WRITERS[fmt](path.read_text(encoding="utf-8"))
        review = service.review_now(ReviewRequest(document=data, format=fmt)).review
        expected, got = verdicts(markdown_reviews[path.name]), verdicts(review)
        assert got.keys() == expected.keys()
        differ = sorted(k for k in expected if expected[k] != got[k])
        report.append(f"{path.name}: {len(differ)} of {len(expected)} differ {differ}")
        assert len(differ) <= MAX_DIFFERENT, "\n".join(report)
        assert review.document.source_format == fmt
        _same_pitfalls(markdown_reviews[path.name], review, path.name)
    print("\n".join(report))


def _same_pitfalls(expected, got, name: str) -> None:
    found = {p.id: p for p in got.pitfalls}
    assert set(found) == {p.id for p in expected.pitfalls}, name
    for pitfall in expected.pitfalls:
        theirs = found[pitfall.id]
        assert all(e.source_location for e in theirs.evidence), (name, pitfall.id)
        for evidence in pitfall.evidence:  # the same passage, at its place in the file
            assert any(same_text(evidence.quote, e.quote) for e in theirs.evidence), (name, pitfall.id, evidence)


def test_a_location_sits_beside_every_line_reference(service):
    data = to_pdf((DEV / DESIGNS[0].name).read_text(encoding="utf-8"))
    review = service.review_now(ReviewRequest(document=data, format="pdf")).review
    evidence = [e for s in review.stages for i in s.items for e in i.evidence]
    assert evidence and all(re.fullmatch(r"page \d+, lines? \d+(-\d+)?( to page \d+, line \d+)?", e.source_location)
                            for e in evidence)
    gaps = [g for g in review.gaps() if g.start_line]
    assert all(g.source_location for g in gaps)
