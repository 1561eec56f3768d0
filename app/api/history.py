"""Stored reviews over REST: one review by id, and the history of one document, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from app.errors import UserError
from app.api.routes import owner_of
from app.api.setup import ServiceDep
from app.review.model import Review

router = APIRouter(tags=["reviews"])


def readable_by(request: Request, service) -> str | None:
    """The owner whose reviews a request may read, or None for all (no keys, or shared history)."""
    owner = owner_of(request, service)
    return owner or None


class ReviewNotFound(UserError):
    status_code = 404


class ReviewHistory(BaseModel):
    """One page of a document's stored reviews, newest first."""

    document_sha256: str
    total: int
    limit: int
    offset: int
    next_offset: int | None
    reviews: list[Review]


@router.get("/v1/reviews/{review_id}", response_model=Review)
async def get_review(service: ServiceDep, request: Request,
                     review_id: Annotated[str, Path(min_length=1, max_length=128)]) -> Review:
    """A stored review by the id that POST /v1/reviews answered with (with API keys, to that key)."""
    review = await run_in_threadpool(service.store.get, review_id, readable_by(request, service))
    if review is None:
        raise ReviewNotFound(f"no stored review has the id {review_id!r}: use the id that "
                             "POST /v1/reviews answered with, or list a document's reviews with "
                             "GET /v1/reviews?document_sha256=<sha256>")
    return review


@router.get("/v1/reviews/{review_id}/document", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {}}, "description": "the document's text"}})
async def get_review_document(service: ServiceDep, request: Request,
                              review_id: Annotated[str, Path(min_length=1, max_length=128)]) -> PlainTextResponse:
    """The text a stored review read, its line numbers as the review cites them (for a Word, PDF or
    HTML file: the markdown it was converted to). With API keys, to the key that stored it."""
    text = await run_in_threadpool(service.store.get_text, review_id, readable_by(request, service))
    if text is None:
        raise ReviewNotFound(f"no stored review with the id {review_id!r} has its document: use the id that "
                             "POST /v1/reviews answered with (reviews stored before documents were kept have none)")
    return PlainTextResponse(text, headers={"Cache-Control": "private, no-store"})


@router.get("/v1/reviews", response_model=ReviewHistory)
async def list_reviews(
        service: ServiceDep, request: Request,
        document_sha256: Annotated[str, Query(pattern="^[0-9a-fA-F]{64}$",
                                              description="the document's sha256 (review.document.sha256)")],
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> ReviewHistory:
    """The stored reviews of one document, newest first, a page at a time."""
    sha = document_sha256.lower()
    page = await run_in_threadpool(service.store.history, sha, limit, offset, readable_by(request, service))
    after = offset + len(page.reviews)
    return ReviewHistory(document_sha256=sha, total=page.total, limit=limit, offset=offset,
                         next_offset=after if after < page.total else None, reviews=page.reviews)
