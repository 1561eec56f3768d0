"""Where reviews come from: the reviewer in this process, or a running design-reviewer API."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import httpx
from pydantic import ValidationError

from app import __version__
from app.config import Settings
from app.knowledge.loader import load_knowledge
from app.errors import DependencyError, UserError
from app.review.model import Review
from app.knowledge.rubric import Group, Item, Pitfall, Rubric


@dataclass
class ToolInfo:
    """Which reviewer, rubric and corpus produced a check: every output states it."""

    version: str
    backend: str
    rubric_version: str
    corpus_version: str
    embedding_model: str
    endpoint: str  # "in-process" or the API's URL
    name: str = "design-reviewer"

    def line(self) -> str:
        return (f"{self.name} {self.version} ({self.backend}, {self.endpoint}), rubric {self.rubric_version}, "
                f"corpus {self.corpus_version}, model {self.embedding_model}")

    def note(self, review: Review) -> None:
        """Take the reviewer's own account from a review it produced."""
        r = review.reviewer
        self.version, self.backend, self.embedding_model = r.version, r.backend, r.embedding_model
        self.rubric_version, self.corpus_version = r.rubric_version, r.corpus_version


class Source(Protocol):
    rubric: Rubric
    info: ToolInfo

    def review(self, data: bytes | str, fmt: str, topics_on: frozenset[str]) -> Review: ...


class LocalSource:
    """The review service in this process, built on the first review so that a bad config fails fast."""

    def __init__(self, settings: Settings, reviewer=None, backend: str | None = None) -> None:
        """`reviewer`: one already built for these settings (a server process, a benchmark, tests)."""
        self.settings = settings
        self.backend = backend
        if reviewer is not None:
            self.rubric, version = reviewer.rubric, reviewer.corpus_version
        else:  # read now, so that the policy is checked against it before the model loads
            knowledge = load_knowledge(settings.corpus_dir)
            self.rubric, version = knowledge.rubric, knowledge.version
        self.info = ToolInfo(__version__, "local", self.rubric.version, version, "not loaded", "in-process")
        self._reviewer = reviewer
        self._service = None

    @property
    def service(self):
        if self._service is None:
            from app.review.service import local_service

            self._service = local_service(self.settings, self._reviewer)
        return self._service

    @property
    def reviewer(self):
        return self.service.source.reviewer()

    def review(self, data: bytes | str, fmt: str, topics_on: frozenset[str]) -> Review:
        from app.review.service import ReviewRequest

        request = ReviewRequest(document=data, format=fmt, topics=topics_on, backend=self.backend)
        review = self.service.review_now(request).review
        self.info.note(review)
        return review


def rubric_from_api(body: dict) -> Rubric:
    """The rubric as GET /v1/rubric describes it: enough to check ids and weigh gaps."""
    def group(raw: dict, kind: str, order: int) -> Group:
        items = tuple(Item(id=i["id"], title=i["title"], weight=float(i["weight"]), core=bool(i["core"]),
                           keywords=(), anchors=(), questions=tuple(i.get("questions", ())), group=raw["id"])
                      for i in raw["items"])
        return Group(id=raw["id"], title=raw["title"], kind=kind, weight=float(raw["weight"]),
                     order=order, items=items)

    return Rubric(stages=tuple(group(g, "stage", n) for n, g in enumerate(body["stages"], 1)),
                  topics=tuple(group(g, "topic", 0) for g in body["topics"]),
                  pitfalls=tuple(Pitfall(id=p["id"], title=p["title"], severity=p["severity"],
                                         anchors=(), questions=()) for p in body["pitfalls"]),
                  version=body["version"])


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    return str(body.get("detail") if isinstance(body, dict) and body.get("detail") else body)[:500]


class ServerSource:
    """A running design-reviewer API: POST /v1/reviews per document, GET /v1/rubric once."""

    # What the API answers for a document it will not review (empty, not text, too large): that
    # document's fault. Any other error (a bad URL or key, a server still starting) stops the run.
    REFUSED = (413, 422)

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 120.0,
                 client: httpx.Client | None = None, backend: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.backend = backend
        self.client = client or httpx.Client(timeout=timeout)
        if api_key:
            self.client.headers["Authorization"] = f"Bearer {api_key}"
        body = self._call("GET", "/v1/rubric")
        try:
            self.rubric = rubric_from_api(body)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DependencyError(f"{self.url}/v1/rubric did not describe a rubric ({exc!r})") from exc
        self.info = ToolInfo("unknown", "server", self.rubric.version, str(body.get("corpus_version")),
                             "unknown", self.url)
        self.timeout = timeout
        self.via_jobs = self._uses_jobs()

    def _uses_jobs(self) -> bool:
        """Whether LLM reviews go through the server's review jobs: it runs them, and the review
        asked for is an LLM one (a local review answers in well under a second)."""
        try:
            jobs = self.client.get(f"{self.url}/healthz").json().get("jobs")
        except (httpx.HTTPError, ValueError, AttributeError):
            return False
        if not isinstance(jobs, dict):
            return False
        return self.backend == "llm" or (self.backend in (None, "auto") and jobs.get("backend") == "llm")

    def _wait_for_job(self, job: dict) -> dict:
        """Poll the job's URL until it is done (its review) or failed (a DependencyError)."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            job = self._call("GET", job["url"])
            if job.get("state") == "done":
                return job["review"]
            if job.get("state") == "failed":
                raise DependencyError(f"the review job {job.get('id')} failed: {job.get('error')}")
            time.sleep(0.2)
        raise DependencyError(f"the review job {job.get('id')} did not finish within {self.timeout:g} s")

    def _call(self, method: str, path: str, payload: dict | None = None, files: dict | None = None,
              headers: dict | None = None) -> dict:
        try:
            if files is not None:  # multipart/form-data: a Word, PDF or HTML file, converted by the API
                response = self.client.request(method, f"{self.url}{path}", data=payload, files=files)
            else:
                response = self.client.request(method, f"{self.url}{path}", json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise DependencyError(f"cannot reach the design-reviewer API at {self.url}: {exc}") from exc
        if payload is not None and response.status_code in self.REFUSED:
            raise UserError(f"the API refused the document ({response.status_code}): {_detail(response)}")
        if response.status_code >= 400:
            raise DependencyError(f"{method} {self.url}{path} answered {response.status_code}: "
                                  f"{_detail(response)}")
        try:
            return response.json()
        except ValueError:
            raise DependencyError(f"{method} {self.url}{path} did not answer with JSON") from None

    def review(self, data: bytes | str, fmt: str, topics_on: frozenset[str]) -> Review:
        from app.document.formats import FILE_FORMATS, MEDIA_TYPES
        from app.document.parse import decode_document

        if fmt in FILE_FORMATS and isinstance(data, bytes):  # the API converts it, as it does for any client
            payload = {"backend": self.backend} if self.backend else {}
            body = self._call("POST", "/v1/reviews", payload,
                              files={"file": (f"design.{fmt}", data, MEDIA_TYPES[fmt])})
        else:
            text = decode_document(data)  # refuse what is not text before it travels
            payload = {"document": text, "format": fmt, "title": None}
            if self.backend:
                payload["backend"] = self.backend
            body = self._call("POST", "/v1/reviews", payload,
                              headers={"Prefer": "respond-async"} if self.via_jobs else None)
            if "state" in body and "url" in body:  # 202: a job; its review when a worker is done
                body = self._wait_for_job(body)
        try:
            review = Review.model_validate(body)
        except ValidationError as exc:
            raise DependencyError(f"{self.url}/v1/reviews did not answer with a review: {exc}") from exc
        self.info.note(review)
        return review
