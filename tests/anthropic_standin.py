"""A stand-in for Anthropic's Messages API on a loopback port: records calls, answers as scripted.

POST /v1/messages answers with the next scripted behaviour (or the default one), as the real API
does: the answer as a `tool_use` block when the request forces a tool (LangChain's structured
output), else as a text block. The helpers have the same names and meaning as tests/llm_standin.py's,
so a fault set can be run against either API.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from typing import Awaitable, Callable

from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from llm_standin import ScriptedStandIn, slow, verdicts  # noqa: F401  (slow: the same fault for both APIs)
from servers import free_port, serve  # noqa: F401

Behaviour = Callable[[dict], Awaitable[Response] | Response]
_LINE = re.compile(r"^(\d+)\| (.*)$")


def message(body: dict, content: str, stop_reason: str = "end_turn", input_tokens: int = 1000,
            output_tokens: int = 100) -> JSONResponse:
    """A Messages API reply: a tool_use block when the request forced a tool and the content parses."""
    block: dict = {"type": "text", "text": content}
    if body.get("tools") and stop_reason != "max_tokens":
        try:
            block = {"type": "tool_use", "id": "toolu_standin", "name": body["tools"][0]["name"],
                     "input": json.loads(content)}
            stop_reason = "tool_use"
        except ValueError:
            pass  # broken JSON comes back as text, as a model that ignored the tool would send it
    return JSONResponse({"id": "msg_standin", "type": "message", "role": "assistant", "model": body.get("model"),
                         "content": [block], "stop_reason": stop_reason, "stop_sequence": None,
                         "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}})


def asked_ids(body: dict) -> list[str]:
    """The item ids the request asks about (the enum of its tool's input schema)."""
    schema = body["tools"][0]["input_schema"]
    return schema["properties"]["items"]["items"]["properties"]["id"]["enum"]


def document_lines(body: dict) -> dict[int, str]:
    """The numbered document lines the request carries."""
    content = body["messages"][-1]["content"]
    user = content if isinstance(content, str) else "".join(b.get("text", "") for b in content)
    return {int(m.group(1)): m.group(2) for line in user.split("\n") if (m := _LINE.match(line))}


def answer(items: Callable[[dict], list[dict]] | list[dict], **kwargs) -> Behaviour:
    return lambda body: message(body, json.dumps({"items": items(body) if callable(items) else items}), **kwargs)


def every_item(status: str = "m", quote: Callable[[dict, str], tuple[str, list[int]]] | None = None,
               reason: str = "stand-in verdict") -> Behaviour:
    return answer(lambda body: verdicts(body, asked_ids(body), status, quote, reason))


def status(code: int, headers: dict | None = None, body: dict | None = None) -> Behaviour:
    kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(code, "api_error")
    return lambda _: JSONResponse(body or {"type": "error", "error": {"type": kind, "message": f"stand-in {code}"}},
                                  status_code=code, headers=headers)


def raw(content: str, finish_reason: str = "stop") -> Behaviour:
    stop = "max_tokens" if finish_reason == "length" else "end_turn"
    return lambda body: message(body, content, stop)


class AnthropicStandIn(ScriptedStandIn):
    """The Messages API's stand-in; `url` is its base URL (the SDK adds /v1/messages) once served."""

    def __init__(self) -> None:
        super().__init__(every_item("m"))
        self.app = Starlette(routes=[Route("/v1/messages", self.respond, methods=["POST"])])


@contextmanager
def running_anthropic():
    """An Anthropic stand-in served on a loopback port (servers.serve), its `url` set."""
    standin = AnthropicStandIn()
    with serve(standin.app) as url:
        standin.url = url
        yield standin
