"""A gap's questions start from what this design says: on the shared dev designs, the questions
shown for partial items name the design's own terms or lines, and nothing the design does not hold.
"""

from __future__ import annotations

import pytest

from app.document.terms import foreign_names, in_text, fold, names_in
from app.review.questions import design_term

from helpers import REPO, read_fixture

DEV = REPO.parent / "shared" / "eval" / "dev"
SHARE = 0.60  # at least this share of partial items' questions is about the design itself


def dev_designs() -> list[tuple[str, str]]:
    return [(p.stem, p.read_text()) for p in sorted(DEV.glob("*.md"))] if DEV.is_dir() else []


@pytest.fixture(scope="module")
def dev_reviews(reviewer):
    designs = dev_designs()
    if not designs:
        pytest.skip(f"the shared dev set is not at {DEV}")
    return [(name, text, reviewer.review(text, backend="local")) for name, text in designs]


def partial_questions(dev_reviews):
    for name, text, review in dev_reviews:
        for gap in review.gaps():
            if gap.status == "partial":
                for q in gap.question_details:
                    yield name, text, gap, q


def test_most_questions_on_partial_items_name_the_design(dev_reviews):
    asked = list(partial_questions(dev_reviews))
    assert asked, "the dev designs should have partial items"
    specific = [q for *_, q in asked if q.design_specific]
    assert len(specific) / len(asked) >= SHARE


def test_no_question_names_what_the_design_does_not_hold(dev_reviews):
    """Every question about the design (local or LLM; not the checklist's own) names only what is in it."""
    for name, text, gap, q in partial_questions(dev_reviews):
        if q.source == "corpus":
            continue
        n_lines = len(text.split("\n"))
        assert foreign_names(q.text, text, n_lines) == [], (name, gap.item, q.text)
        assert all(in_text(n, fold(text)) for n in q.names), (name, q.names)
        assert all(1 <= n <= n_lines and text.split("\n")[n - 1].strip() for n in q.lines), (name, q.lines)


def test_a_partial_item_says_what_is_there_and_asks_only_about_what_is_missing(dev_reviews):
    seen = 0
    for _, _, review in dev_reviews:
        for gap in review.gaps():
            if gap.status != "partial" or not gap.aspects:
                continue
            seen += 1
            assert gap.summary and gap.questions == [q.text for q in gap.question_details]
            missing = [a.label for a in gap.aspects if not a.found]
            for a in gap.aspects:
                assert bool(a.lines) == a.found
                assert (f"no {a.label}" in gap.summary) == (not a.found) or a.found
            local = [q for q in gap.question_details if q.source == "local"]
            if missing and local:  # (no line of the design to start from: the corpus's questions)
                assert len(local) == min(3, len(missing))
    assert seen


def test_missing_items_keep_the_corpus_questions(reviewer):
    review = reviewer.review(read_fixture("fraud_metrics.md"), backend="local")
    for gap in review.gaps():
        if gap.status == "missing":
            item = reviewer.rubric.item(gap.item)
            assert gap.questions == list(item.questions)
            assert all(q.source == "corpus" and not q.design_specific for q in gap.question_details)


def test_the_design_term_is_the_design_own_spelling():
    terms = ["pr auc", "ndcg", "offline metric"]
    assert design_term("We rank by NDCG@10 on the last week.", terms) == "NDCG@10"
    assert design_term("The offline metric is chosen later.", terms) == "offline metric"
    # another name on the line may be what it is about, or not: never named on a guess
    assert design_term("LightGBM scores each payment.", terms) is None
    assert design_term("LightGBM ranks the payments; NDCG decides.", terms) == "NDCG"
    assert design_term("nothing here", terms) is None
    assert names_in("Line 4 mentions LightGBM: what is the split?") == ["LightGBM"]
