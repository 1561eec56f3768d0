"""REST routes: parse the request, call the review service, return its review. Errors map to 4xx/503."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.setup import ServiceDep
from app.review.model import Review
from app.review.service import ReviewRequest as ServiceRequest
from app.review.reviewer import Reviewer

router = APIRouter()


class ReviewRequest(BaseModel):
    """A design to review."""

    model_config = ConfigDict(extra="forbid")

    document: str = Field(description="the design document, markdown or plain text (UTF-8, no NUL)",
                          json_schema_extra={"pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"})
    format: Literal["markdown", "text"] = "markdown"
    title: str | None = Field(default=None, max_length=300)
    backend: Literal["auto", "local", "llm"] | None = Field(
        default=None, description="scorer: local, llm, or auto (the LLM scorer when configured); default auto")

    @field_validator("document")
    @classmethod
    def not_blank(cls, value: str) -> str:
        """Refuse an empty design here, before the request waits for the reviewer."""
        if not value.strip():
            raise ValueError("the document is empty: send the design's markdown or text")
        return value


def owner_of(request: Request, service) -> str:
    """Whose stored reviews a request writes and reads: its API key's ("" without keys, or when
    DESIGN_REVIEW_SHARED_HISTORY lets every key read all)."""
    if service.settings.shared_history:
        return ""
    return getattr(request.state, "key_id", None) or ""


def get_reviewer(request: Request) -> Reviewer:
    return request.app.state.service.source.reviewer()


ReviewerDep = Annotated[Reviewer, Depends(get_reviewer)]


@router.post("/v1/reviews", response_model=Review, tags=["reviews"])
async def create_review(body: ReviewRequest, service: ServiceDep, request: Request) -> Response:
    """Review a design document, store the review, and return it (from the store when it has one)."""
    caller = getattr(request.state, "key_id", None)  # with API keys, each key has its share of the slots
    answer = await service.review(ServiceRequest(document=body.document, title=body.title,
                                                 format=body.format, backend=body.backend, caller=caller,
                                                 owner=owner_of(request, service)))
    return Response(answer.body, media_type="application/json")


@router.get("/v1/rubric", tags=["rubric"])
def get_rubric(reviewer: ReviewerDep) -> dict:
    """The stages, items, topics and pitfalls the reviewer checks."""
    rubric = reviewer.rubric

    def group(g) -> dict:
        return {"id": g.id, "title": g.title, "weight": g.weight,
                "items": [{"id": i.id, "title": i.title, "weight": i.weight, "core": i.core,
                           "questions": list(i.questions)} for i in g.items]}

    return {"version": rubric.version, "corpus_version": reviewer.corpus_version,
            "stages": [group(g) for g in rubric.stages],
            "topics": [group(g) for g in rubric.topics],
            "pitfalls": [{"id": p.id, "title": p.title, "severity": p.severity} for p in rubric.pitfalls]}
