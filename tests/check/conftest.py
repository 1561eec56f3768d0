"""Fixtures for the `design-review check` tests: the in-process source over the session reviewer,
`judge`, which checks one fixture document (or given text under its name) in process, and
`forge_api`, stand-ins of GitHub's and GitLab's comment APIs on a loopback server."""

from __future__ import annotations

import contextlib

import pytest

from app.check.findings import settle
from app.check.paths import collect_documents
from app.check.policy import Policy
from app.check.runner import Checker
from app.check.sources import LocalSource

from helpers import CHECK_FIXTURES, FIXTURES, REPO


@pytest.fixture(scope="package")
def source(settings, reviewer) -> LocalSource:
    return LocalSource(settings, reviewer)


@pytest.fixture(scope="package")
def judge(source):
    """judge(name, policy=None, text=None): the settled result of a fixture document (under
    tests/fixtures/check, else tests/fixtures) under the policy; with text, of that text under its name."""
    def judge(name: str, policy: Policy | None = None, text: str | None = None):
        policy = policy or Policy()
        path = CHECK_FIXTURES / name if (CHECK_FIXTURES / name).exists() else FIXTURES / name
        data = (text if text is not None else path.read_text()).encode()
        doc = collect_documents([str(path)], policy, REPO)[0]
        result = Checker(source, policy).judge(data, doc)
        settle(result, policy)
        return result
    return judge


class ForgeStandIn:
    """GitHub's issue comments or GitLab's merge-request notes, in memory, on a real loopback server.

    Every request is recorded as (method, path, headers, json body). `deny` answers every write with
    that status, as GitHub does for a fork's read-only token; lists come in pages of `page_size`, so a
    marked comment on a later page must be found by following the pages.
    """

    def __init__(self, forge: str, token: str, page_size: int = 2) -> None:
        self.forge, self.token, self.page_size = forge, token, page_size
        self.comments: dict[int, dict] = {}
        self.requests: list[tuple[str, str, dict, dict | None]] = []
        self.deny: int | None = None
        self.url = ""

    def seed(self, body: str, author: str = "someone") -> int:
        comment_id = 1000 + len(self.comments)
        self.comments[comment_id] = {"id": comment_id, "body": body, "user": {"login": author}, "system": False}
        return comment_id

    def calls(self, method: str) -> list[tuple[str, str, dict, dict | None]]:
        return [r for r in self.requests if r[0] == method]

    def _authorized(self, request) -> bool:
        if self.forge == "github":
            return request.headers.get("authorization") == f"Bearer {self.token}"
        return request.headers.get("private-token") == self.token

    async def handle(self, request):
        from starlette.responses import JSONResponse

        body = await request.json() if request.method in ("POST", "PATCH", "PUT") else None
        self.requests.append((request.method, request.url.path, dict(request.headers), body))
        if not self._authorized(request):
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        if request.method != "GET" and self.deny:
            return JSONResponse({"message": "Resource not accessible by integration"}, status_code=self.deny)
        if request.method == "GET":
            return self._page(request)
        if request.method == "POST":
            comment_id = self.seed(body["body"], author="design-review-bot")
            return JSONResponse(self.comments[comment_id], status_code=201)
        comment_id = int(request.path_params["comment_id"])
        if comment_id not in self.comments:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        self.comments[comment_id]["body"] = body["body"]
        return JSONResponse(self.comments[comment_id])

    def _page(self, request):
        from starlette.responses import JSONResponse

        page = int(request.query_params.get("page", "1"))
        size = min(int(request.query_params.get("per_page", "30")), self.page_size)
        listed = list(self.comments.values())
        headers = {}
        if page * size < len(listed):
            headers["Link"] = f'<{self.url}{request.url.path}?page={page + 1}&per_page={size}>; rel="next"'
        return JSONResponse(listed[(page - 1) * size: page * size], headers=headers)

    def app(self):
        from starlette.applications import Starlette
        from starlette.routing import Route

        if self.forge == "github":
            routes = [Route("/repos/{owner}/{repo}/issues/{number:int}/comments", self.handle, methods=["GET", "POST"]),
                      Route("/repos/{owner}/{repo}/issues/comments/{comment_id:int}", self.handle, methods=["PATCH"])]
        else:
            notes = "/api/v4/projects/{project}/merge_requests/{iid:int}/notes"
            routes = [Route(notes, self.handle, methods=["GET", "POST"]),
                      Route(notes + "/{comment_id:int}", self.handle, methods=["PUT"])]
        return Starlette(routes=routes)


@pytest.fixture
def forge_api():
    """forge_api(forge, token): a stand-in of GitHub's or GitLab's comment API, served on loopback."""
    from servers import serve

    with contextlib.ExitStack() as stack:
        def start(forge: str, token: str = "test-token") -> ForgeStandIn:
            stand_in = ForgeStandIn(forge, token)
            stand_in.url = stack.enter_context(serve(stand_in.app(), lifespan="off"))
            return stand_in
        yield start
