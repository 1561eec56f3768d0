"""One comment per pull request (GitHub) or merge request (GitLab), edited in place on every run.

The only module that talks to the forges' APIs. The comment carries a hidden marker; a run lists the
thread's comments, edits the one that starts with the marker, and creates one only when there is
none. A comment is a courtesy: anything that stops it (no token, a fork's read-only token, an API
error) is a `CommentSkipped` with the reason, and never changes the check's exit code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import quote

import httpx

from app.check.comment import MARKER

GITLAB_TOKEN_VARIABLES = ("DESIGN_REVIEW_GITLAB_TOKEN", "GITLAB_TOKEN")
_MAX_PAGES = 50
_TIMEOUT = 30.0
_PULL_REF = re.compile(r"^refs/pull/(\d+)/")


class CommentSkipped(Exception):
    """No comment was posted; the message says why, in one line."""


@dataclass(frozen=True)
class Thread:
    """The comments of one pull or merge request, and how to reach them."""

    name: str  # "pull request #12 of owner/repo", for the log
    comments_url: str  # list (GET) and create (POST)
    comment_url: str  # edit one: format with its id
    edit_method: str  # PATCH on GitHub, PUT on GitLab
    headers: dict[str, str]
    forge: str


def _pull_number(environ: Mapping[str, str]) -> int:
    """The pull request's number: from the event GitHub wrote, else from the ref."""
    path = environ.get("GITHUB_EVENT_PATH")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                event = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommentSkipped(f"cannot read the event at GITHUB_EVENT_PATH ({path}): {exc}") from None
        issue = event.get("issue") or {}
        number = (event.get("pull_request") or {}).get("number") or (
            issue.get("number") if issue.get("pull_request") else None)
        if number:
            return int(number)
    match = _PULL_REF.match(environ.get("GITHUB_REF", ""))
    if match:
        return int(match.group(1))
    raise CommentSkipped("this run is not for a pull request (GITHUB_EVENT_PATH holds no pull_request): "
                         "the job summary and the annotations have the report")


def github_thread(environ: Mapping[str, str]) -> Thread:
    """The pull request's comments, from the variables GitHub Actions sets (and GITHUB_TOKEN)."""
    token = environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise CommentSkipped("GITHUB_TOKEN is not set (a fork's pull request gets no token with write access); "
                             "the job summary and the annotations have the report")
    repository = environ.get("GITHUB_REPOSITORY", "").strip()
    if "/" not in repository:
        raise CommentSkipped("GITHUB_REPOSITORY is not set to owner/name")
    number = _pull_number(environ)
    api = environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    return Thread(f"pull request #{number} of {repository}",
                  f"{api}/repos/{repository}/issues/{number}/comments",
                  f"{api}/repos/{repository}/issues/comments/{{id}}", "PATCH",
                  {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28"}, "GitHub")


def gitlab_thread(environ: Mapping[str, str]) -> Thread:
    """The merge request's notes, from GitLab CI's variables and a token variable."""
    token = next((environ[v].strip() for v in GITLAB_TOKEN_VARIABLES if environ.get(v, "").strip()), "")
    if not token:
        raise CommentSkipped(f"neither {' nor '.join(GITLAB_TOKEN_VARIABLES)} is set (CI_JOB_TOKEN cannot "
                             "write notes; a project access token with the api scope can)")
    iid = environ.get("CI_MERGE_REQUEST_IID", "").strip()
    project = environ.get("CI_PROJECT_ID", "").strip()
    api = environ.get("CI_API_V4_URL", "").strip().rstrip("/")
    if not iid:
        raise CommentSkipped("CI_MERGE_REQUEST_IID is not set: this is not a merge request pipeline "
                             "(rules: if: $CI_PIPELINE_SOURCE == 'merge_request_event')")
    if not project or not api:
        raise CommentSkipped("CI_PROJECT_ID and CI_API_V4_URL must be set (GitLab CI sets them)")
    base = f"{api}/projects/{quote(project, safe='')}/merge_requests/{iid}/notes"
    return Thread(f"merge request !{iid} of project {project}", base, f"{base}/{{id}}", "PUT",
                  {"PRIVATE-TOKEN": token}, "GitLab")


def _answer(thread: Thread, response: httpx.Response) -> httpx.Response:
    """The response, or CommentSkipped naming what the forge said."""
    if response.is_success:
        return response
    try:
        detail = response.json().get("message") or ""
    except (ValueError, AttributeError):
        detail = ""
    said = f"{thread.forge} answered {response.status_code}" + (f" ({detail})" if detail else "")
    if response.status_code in (401, 403, 404):
        raise CommentSkipped(f"{said}: the token cannot write to {thread.name} (a fork's pull request gets a "
                             "read-only token; the job needs pull-requests: write, or api scope on GitLab)")
    raise CommentSkipped(f"{said} for {thread.name}")


def _find_ours(thread: Thread, client: httpx.Client) -> int | None:
    """The id of the comment that carries the marker, following the pages of the list."""
    url: str | None = thread.comments_url
    params: dict | None = {"per_page": 100}
    for _ in range(_MAX_PAGES):
        response = _answer(thread, client.get(url, params=params))
        for comment in response.json():
            if not comment.get("system") and str(comment.get("body") or "").lstrip().startswith(MARKER):
                return comment["id"]
        url, params = response.links.get("next", {}).get("url"), None
        if not url:
            return None
    return None


def post_comment(thread: Thread, body: str) -> str:
    """Edit the marked comment of the thread, or create it; 'updated' or 'created'."""
    try:
        with httpx.Client(headers=thread.headers, timeout=_TIMEOUT) as client:
            ours = _find_ours(thread, client)
            if ours is not None:
                _answer(thread, client.request(thread.edit_method, thread.comment_url.format(id=ours),
                                               json={"body": body}))
                return "updated"
            _answer(thread, client.post(thread.comments_url, json={"body": body}))
            return "created"
    except httpx.HTTPError as exc:
        raise CommentSkipped(f"could not reach {thread.forge} for {thread.name}: {exc}") from None
