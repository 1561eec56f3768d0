"""REST routes: parse the request, call the review service, return its review. Errors map to 4xx/503."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from starlette.routing import Match

from app.api.setup import ServiceDep
from app.document.formats import format_for_name, format_for_type
from app.errors import UserError
from app.review.model import Review
from app.review.service import ReviewRequest as ServiceRequest
from app.review.reviewer import Reviewer

router = APIRouter()


class ReviewRequest(BaseModel):
    """A design to review."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    document: str = Field(description="the design document: markdown, plain text or HTML (UTF-8, no NUL); "
                                      "a Word or PDF file goes as multipart/form-data",
                          json_schema_extra={"pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"})
    format: Literal["markdown", "text", "html"] = "markdown"
    title: str | None = Field(default=None, max_length=300)
    backend: Literal["auto", "local", "llm"] | None = Field(
        default=None, description="scorer: local, llm, or auto (the LLM scorer when configured); default auto")
    run_async: StrictBool = Field(default=False, alias="async", description=(
        "true (or the header 'Prefer: respond-async'): answer 202 with a job URL at once (when the server "
        "runs review jobs; otherwise the review is answered as usual)"))
    callback_url: str | None = Field(default=None, max_length=2000, description=(
        "a job's review is POSTed here when done, signed (X-Design-Review-Signature: sha256=<HMAC of the "
        "body>); the host must be on DESIGN_REVIEW_CALLBACK_ALLOWED_HOSTS"))

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


class MultipartRoute(APIRoute):
    """A route that only takes multipart/form-data bodies: the same path's JSON route takes the rest."""

    def matches(self, scope) -> tuple[Match, dict]:
        match, child = super().matches(scope)
        kind = dict(scope.get("headers") or ()).get(b"content-type", b"").split(b";")[0].strip().lower()
        return (match, child) if kind == b"multipart/form-data" else (Match.NONE, {})


UPLOAD_SCHEMA = {
    "type": "object", "required": ["file"],
    "properties": {
        "file": {"type": "string", "format": "binary", "description": (
            "the design as a file: .docx, .pdf, .html/.htm, .md or .txt; its format comes from its bytes "
            "(a PDF or Word file whatever its name), else its content type, else its name")},
        "title": {"type": "string", "maxLength": 300},
        "backend": {"type": "string", "enum": ["auto", "local", "llm"]}}}
UPLOAD_FIELDS = {"file", "title", "backend"}
BOTH_BODIES = {"requestBody": {"content": {"multipart/form-data": {"schema": UPLOAD_SCHEMA}}}}


async def upload_review(service: ServiceDep, request: Request, file: UploadFile = File(...),
                        title: str | None = Form(default=None, max_length=300),
                        backend: Literal["auto", "local", "llm"] | None = Form(default=None)) -> Response:
    """Review a design sent as a file (multipart/form-data): Word, PDF, HTML, markdown or text."""
    form = await request.form()  # parsed once already for the parameters: this reads the same form
    unknown = sorted(set(form.keys()) - UPLOAD_FIELDS)
    if unknown:
        raise UserError(f"unknown form fields {', '.join(unknown)}: send the design as \"file\", with optional "
                        "\"title\" and \"backend\"")
    if len(form.getlist("file")) > 1:
        raise UserError('several files in one request: send one design as "file" per request '
                        "(`design-review check` reviews many)")
    claimed = format_for_type(file.content_type) or format_for_name(file.filename or "")
    data = await file.read()
    answer = await service.review(ServiceRequest(
        document=data, title=title, format=claimed, backend=backend,  # no claim: the bytes decide
        caller=getattr(request.state, "key_id", None), owner=owner_of(request, service)))
    return answered(answer)


router.add_api_route("/v1/reviews", upload_review, methods=["POST"], response_model=Review, tags=["reviews"],
                     include_in_schema=False, route_class_override=MultipartRoute)


@router.post("/v1/reviews", response_model=Review, tags=["reviews"], openapi_extra=BOTH_BODIES)
async def create_review(body: ReviewRequest, service: ServiceDep, request: Request) -> Response:
    """Review a design document, store the review, and return it (from the store when it has one).

    JSON carries the text; multipart/form-data carries a file (`file`, and optional `title` and
    `backend`): a Word (.docx), PDF or HTML file, or markdown or text."""
    caller = getattr(request.state, "key_id", None)  # with API keys, each key has its share of the slots
    asked = ServiceRequest(document=body.document, title=body.title, format=body.format,
                           backend=body.backend, caller=caller, owner=owner_of(request, service))
    wants_job = body.run_async or "respond-async" in request.headers.get("prefer", "").lower()
    if service.jobs is not None and (wants_job or body.callback_url):
        job = await run_in_threadpool(service.jobs.submit, asked, body.callback_url)
        return Response(job.as_json(), status_code=202, media_type="application/json",
                        headers={"Location": f"/v1/jobs/{job.id}", "Preference-Applied": "respond-async"})
    if body.callback_url:
        raise UserError("callback_url needs review jobs: the server has no DESIGN_REVIEW_REDIS_URL")
    return answered(await service.review(asked))


def answered(answer) -> Response:
    """The review's JSON; X-Review-Stored: false when the database failed (it cannot be read back)."""
    headers = None if answer.stored else {"X-Review-Stored": "false"}
    return Response(answer.body, media_type="application/json", headers=headers)


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
