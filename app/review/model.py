"""The review's types: what every door renders, independent of the scoring backend."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["covered", "partial", "missing", "not_applicable"]
Severity = Literal["critical", "warning", "info"]
Verdict = Literal["strong", "adequate", "needs_work", "insufficient"]
# Severities from least to most serious, for sorting and for failure thresholds.
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


class Evidence(BaseModel):
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    quote: str
    source_location: str | None = Field(default=None, description=(
        "for a Word, PDF or HTML file: where these lines are in it (page and line; heading path and "
        "paragraph)"))


class Guidance(BaseModel):
    source: str
    text: str


class ItemResult(BaseModel):
    id: str
    title: str
    status: Status
    confidence: float = Field(ge=0, le=1)
    weight: float = Field(gt=0, description="the item's weight inside its stage or topic")
    credit: float = Field(ge=0, le=1, description="expected credit: P(covered) + P(partial) / 2")
    p_covered: float | None = Field(default=None, ge=0, le=1, description=(
        "P(covered with substance): the item is marked covered when it reaches the scorer's threshold"))
    evidence: list[Evidence] = []
    topic: str | None = None
    reason: str | None = Field(default=None, description="the LLM scorer's reason, when its verdict was used")
    llm_status: Status | None = Field(default=None, description="what the LLM said, before checking and merging")


class Question(BaseModel):
    """A follow-up question, where it came from, and what of the design it refers to."""

    text: str
    design_specific: bool = Field(description="it cites lines of this design or names its own terms")
    source: Literal["local", "llm", "corpus"] = Field(description=(
        "local: the aspects the design leaves out; llm: the LLM scorer, grounding-checked; corpus: the checklist"))
    lines: list[int] = Field(default_factory=list, description="the design's lines it refers to")
    names: list[str] = Field(default_factory=list, description="the design's own terms it names, as the design spells them")


class AspectResult(BaseModel):
    """One aspect of an item (the A/B test's traffic split) and the lines that state it, if any."""

    label: str
    found: bool
    lines: list[int] = Field(default_factory=list)


class Gap(BaseModel):
    item: str
    title: str
    status: Status
    severity: Severity
    why: str
    questions: list[str]
    guidance: list[Guidance] = []
    section: str | None = None
    start_line: int | None = None
    confidence: float | None = Field(default=None, ge=0, le=1, description=(
        "how sure the scorer is that the item is not covered; absent in older reviews"))
    source_location: str | None = Field(default=None, description="start_line's place in a converted file")
    summary: str | None = Field(default=None, description=(
        "for a partial item: what the design states of it and what it leaves out, with lines"))
    aspects: list[AspectResult] = Field(default_factory=list, description="the item's aspects, found or not")
    question_details: list[Question] = Field(default_factory=list, description=(
        "the questions, in the same order, with their source, lines and names; absent in older reviews"))


class StageResult(BaseModel):
    id: str
    title: str
    score: float = Field(ge=0, le=1, description="expected weighted share of items covered, "
                                                 "partial counting half")
    covered_share: float | None = Field(default=None, ge=0, le=1, description=(
        "weighted share of the items marked covered (partial counts 0; not_applicable items left "
        "out); absent in reviews stored by versions before it"))
    weight: float
    items: list[ItemResult]
    gaps: list[Gap]


class TopicResult(BaseModel):
    id: str
    title: str
    confidence: float = Field(ge=0, le=1)


class PitfallFinding(BaseModel):
    id: str
    title: str
    severity: Severity
    confidence: float = Field(ge=0, le=1)
    evidence: list[Evidence]
    why: str
    questions: list[str] = []
    guidance: list[Guidance] = []


class DocumentInfo(BaseModel):
    sha256: str
    title: str
    words: int
    lines: int
    source_format: str | None = Field(default=None, description=(
        "docx, pdf or html when the design came as a file: lines count in its converted markdown"))


class Overall(BaseModel):
    score: float = Field(ge=0, le=1, description="stage-weighted mean of the stages' covered_share: "
                                                 "what the design covers with substance")
    verdict: Verdict


class Usage(BaseModel):
    """What the LLM scorer spent on one review (zero calls when its answers came from the cache)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    calls: int = 0
    cached_calls: int = 0


class ReviewerInfo(BaseModel):
    backend: str
    degraded: bool = False
    degraded_reason: str | None = None
    corpus_version: str
    rubric_version: str
    embedding_model: str
    version: str
    elapsed_ms: int
    cached: bool = False
    llm_model: str | None = None
    usage: Usage | None = None
    llm_rejected: list[str] = Field(default_factory=list,
                                    description="LLM verdicts not used, and why (the local verdict stands)")


class Review(BaseModel):
    id: str
    created_at: str
    document: DocumentInfo
    overall: Overall
    topics: list[TopicResult]
    stages: list[StageResult]
    topic_items: list[ItemResult]
    topic_gaps: list[Gap]
    pitfalls: list[PitfallFinding]
    reviewer: ReviewerInfo

    def gaps(self) -> list[Gap]:
        """Every gap of the review, stage gaps first."""
        return [g for s in self.stages for g in s.gaps] + list(self.topic_gaps)

    def gaps_by_importance(self) -> list[Gap]:
        """The gaps that matter most for this design first: severity, then confidence."""
        return sorted(self.gaps(), key=lambda g: (-SEVERITY_RANK[g.severity], -(g.confidence or 0.0), g.item))
