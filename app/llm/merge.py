"""The merge rule: how a checked LLM verdict and the local scorer's verdict become one item.

1. An LLM verdict whose quote is not in the document at the lines it cites (or that names no lines
   for a covered or partial status) is discarded: the local verdict stands.
2. Agreement keeps the local status and credit; the LLM adds its reason and, for a gap, its questions.
3. The LLM may RAISE an item (missing -> partial -> covered) only with a verified quote that is
   about the item (the cited lines are evidence for it to the local scorer too: a keyword of the item
   or a window close to its anchors), that is not itself instruction-like, and only in a document
   with no text that reads as instructions to a reviewer. The credit becomes at least the status's
   (partial 0.5, covered 1.0).
4. The LLM may LOWER an item by one step only (covered -> partial, partial -> missing), with a reason
   and a verified quote from the lines the local scorer took as evidence (the text it judged too
   vague). The credit becomes at most the new status's.
So a prompt injection cannot raise any item, and hence any stage or the overall score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from app.document.terms import foreign_names, names_in
from app.llm.answer import ItemAnswer, QuestionAnswer
from app.llm.verify import check_quote, instruction_like
from app.review.model import Question

RANK = {"missing": 0, "partial": 1, "covered": 2}
STATUS_AT = {0: "missing", 1: "partial", 2: "covered"}
CREDIT = {"missing": 0.0, "partial": 0.5, "covered": 1.0}
MAX_QUESTIONS = 2
MAX_QUESTION_CHARS = 240


@dataclass(frozen=True)
class LocalView:
    """What the merge needs of the local verdict: status, credit, evidence spans, and what supports the item."""

    status: str
    credit: float
    evidence: tuple[tuple[int, int], ...]
    supported_lines: Callable[[], frozenset[int]]  # asked only when the LLM would raise the item


@dataclass
class Judgement:
    """The merged decision on one item."""

    status: str
    credit: float
    evidence: list[tuple[int, int]]
    decided_by: str                 # "local" (LLM discarded or absent), "both", "llm"
    llm_status: str | None = None
    reason: str | None = None
    questions: list[Question] = field(default_factory=list)  # grounded in the design's lines
    rejected: str | None = None     # why the LLM's verdict was not used


def merge_item(local: LocalView, answer: ItemAnswer | None, lines: list[str], raises_allowed: bool) -> Judgement:
    """Apply the merge rule above to one item."""
    keep = Judgement(local.status, local.credit, list(local.evidence), "local")
    if answer is None:
        keep.rejected = "the LLM gave no verdict"
        return keep
    keep.llm_status = answer.status
    check = check_quote(lines, answer.q, answer.l) if answer.status != "missing" or answer.q else None
    if check is not None and not check.ok:
        keep.rejected = check.problem
        return keep
    reason = " ".join(answer.r.split())[:300] or None
    questions = grounded_questions(answer.f, lines)
    span = (check.start_line, check.end_line) if check else None
    have, want = RANK[local.status], RANK[answer.status]
    if want == have:
        return Judgement(local.status, local.credit, _spans(local.evidence, span), "both", answer.status,
                         reason, questions)
    if want > have:
        problem = _raise_problem(answer, span, local, raises_allowed)
        if problem:
            keep.rejected = problem
            return keep
        status = answer.status
        return Judgement(status, max(local.credit, CREDIT[status]), _spans(local.evidence, span), "llm",
                         answer.status, reason, questions)
    problem = _lower_problem(span, local, reason)
    if problem:
        keep.rejected = problem
        return keep
    status = STATUS_AT[have - 1]
    return Judgement(status, min(local.credit, CREDIT[status]), list(local.evidence), "llm", answer.status,
                     reason, questions)


def _raise_problem(answer: ItemAnswer, span, local: LocalView, raises_allowed: bool) -> str | None:
    if not raises_allowed:
        return "the document addresses the reviewer; the LLM may not raise items"
    if span is None:
        return "a higher status needs a quote"
    if instruction_like(answer.q):
        return "the quote reads as an instruction, not a design decision"
    if not set(range(span[0], span[1] + 1)) & local.supported_lines():
        return "the quoted lines are not about this item"
    return None


def _lower_problem(span, local: LocalView, reason: str | None) -> str | None:
    if not reason:
        return "a lower status needs a reason"
    if span is None or not any(a <= span[1] and span[0] <= b for a, b in local.evidence):
        return "a lower status needs a quote from the local evidence"
    return None


def _spans(local: tuple[tuple[int, int], ...], extra) -> list[tuple[int, int]]:
    return sorted(set(local) | ({extra} if extra else set()))


def grounded_questions(raw: list[QuestionAnswer | str], lines: list[str]) -> list[Question]:
    """The LLM's follow-up questions that are tied to lines of the design and name nothing outside it.

    A question is dropped when it cites no line or a line the design does not have (or a blank one),
    quotes or names something the design does not say, reads as an instruction, or holds a link.
    """
    design = "\n".join(lines)
    out: list[Question] = []
    for entry in raw:
        if isinstance(entry, str):
            continue  # a question tied to no line of the design
        text = " ".join(entry.q.split())
        cited = sorted({n for n in entry.l if isinstance(n, int)})
        if not text or len(text) > MAX_QUESTION_CHARS or "://" in text or instruction_like(text):
            continue
        if not cited or cited[-1] - cited[0] > 12 or any(not 1 <= n <= len(lines) for n in cited) or \
                not any(lines[n - 1].strip() for n in cited):
            continue
        if foreign_names(text, design, len(lines)) or any(q.text == text for q in out):
            continue
        out.append(Question(text=text, design_specific=True, source="llm",
                            lines=list(range(cited[0], cited[-1] + 1)), names=names_in(text)))
    return out[:MAX_QUESTIONS]
