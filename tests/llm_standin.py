"""A stand-in for an OpenAI-compatible server on a loopback port: records calls, answers as scripted.

POST /v1/chat/completions answers with the next scripted behaviour (or the default one); each
behaviour is a function of the request body. Helpers build the usual answers: a JSON answer, a
status code with headers, a slow reply, malformed or truncated JSON.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from contextlib import contextmanager
from typing import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from servers import free_port, serve  # noqa: F401  (free_port: bench/faults.py imports it from here)

Behaviour = Callable[[dict], Awaitable[Response] | Response]
_LINE = re.compile(r"^(\d+)\| (.*)$")


def completion(content: str, finish_reason: str = "stop", prompt_tokens: int = 1000,
               completion_tokens: int = 100) -> JSONResponse:
    """A chat completion as OpenAI's API returns it."""
    return JSONResponse({
        "id": "chatcmpl-standin", "object": "chat.completion", "created": int(time.time()), "model": "standin",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens}})


def asked_ids(body: dict) -> list[str]:
    """The item ids the request asks about (the enum of its response schema)."""
    schema = body["response_format"].get("schema") or body["response_format"]["json_schema"]["schema"]
    return schema["properties"]["items"]["items"]["properties"]["id"]["enum"]


def document_lines(body: dict) -> dict[int, str]:
    """The numbered document lines the request carries."""
    user = body["messages"][-1]["content"]
    return {int(m.group(1)): m.group(2) for line in user.split("\n") if (m := _LINE.match(line))}


def answer(items: Callable[[dict], list[dict]] | list[dict], **kwargs) -> Behaviour:
    """Answer with {"items": ...}: a fixed list, or one built from the request."""
    return lambda body: completion(json.dumps({"items": items(body) if callable(items) else items}), **kwargs)


def verdicts(body: dict, ids: list[str], status: str, quote: Callable[[dict, str], tuple[str, list[int]]] | None,
             reason: str) -> list[dict]:
    """The same status for each asked item id; quote(body, item) gives the quote and lines."""
    out = []
    for item in ids:
        q, lines = quote(body, item) if quote else ("", [])
        out.append({"id": item, "s": status, "q": q, "l": lines, "r": reason,
                    "f": [] if status == "c" else [{"q": f"How does this design handle {item}?", "l": [1]}]})
    return out


def every_item(status: str = "m", quote: Callable[[dict, str], tuple[str, list[int]]] | None = None,
               reason: str = "stand-in verdict") -> Behaviour:
    """The same status for every asked item; quote(body, item) gives the quote and lines."""
    return answer(lambda body: verdicts(body, asked_ids(body), status, quote, reason))


def status(code: int, headers: dict | None = None, body: dict | None = None) -> Behaviour:
    return lambda _: JSONResponse(body or {"error": {"message": f"stand-in {code}", "type": "standin"}},
                                  status_code=code, headers=headers)


def slow(seconds: float, then: Behaviour) -> Behaviour:
    async def behaviour(body: dict) -> Response:
        await asyncio.sleep(seconds)
        return then(body)
    return behaviour


def raw(content: str, finish_reason: str = "stop") -> Behaviour:
    return lambda _: completion(content, finish_reason)


class ScriptedStandIn:
    """A recording stand-in of an LLM API: each request answered by the next scripted behaviour,
    else the default one. Subclasses route their API's paths to `respond`."""

    def __init__(self, default: Behaviour) -> None:
        self.calls: list[dict] = []
        self.script: deque[Behaviour] = deque()
        self._first_default = self.default = default
        self.url = ""

    def reset(self, default: Behaviour | None = None, *script: Behaviour) -> None:
        self.calls.clear()
        self.script = deque(script)
        self.default = default or self._first_default

    async def respond(self, request: Request) -> Response:
        body = await request.json()
        self.calls.append(body)
        behaviour = self.script.popleft() if self.script else self.default
        result = behaviour(body)
        return await result if asyncio.iscoroutine(result) else result


class LLMStandIn(ScriptedStandIn):
    """The OpenAI API's stand-in; `url` is its /v1 base URL once served."""

    def __init__(self) -> None:
        super().__init__(every_item("m"))
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.respond, methods=["POST"]),
                                     # Azure OpenAI: the deployment in the path, the API version in the query
                                     Route("/openai/deployments/{deployment}/chat/completions", self.respond,
                                           methods=["POST"])])


@contextmanager
def running_standin():
    """A stand-in served on a loopback port (servers.serve), its `url` set."""
    standin = LLMStandIn()
    with serve(standin.app) as url:
        standin.url = f"{url}/v1"
        yield standin
