"""The LLM's answer: its JSON schema (short keys, items only) and a strict parse into our types."""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

STATUS = {"c": "covered", "p": "partial", "m": "missing"}
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


class AnswerError(Exception):
    """The answer is not the JSON we asked for; `reason` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class QuestionAnswer(BaseModel):
    """A follow-up question and the design's lines it is about."""

    model_config = ConfigDict(extra="ignore")

    q: str
    l: list[int] = Field(default_factory=list)  # noqa: E741 - the answer's own short key


class ItemAnswer(BaseModel):
    """One item as the LLM judged it: status, quote, lines, reason, follow-up questions."""

    model_config = ConfigDict(extra="ignore")

    id: str
    s: Literal["c", "p", "m"]
    q: str = ""
    l: list[int] = Field(default_factory=list)  # noqa: E741 - the answer's own short key
    r: str = ""
    f: list[QuestionAnswer | str] = Field(default_factory=list)  # a bare string: a question tied to no line

    @property
    def status(self) -> str:
        return STATUS[self.s]


class Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: list[ItemAnswer]


def answer_schema(item_ids: list[str], bounded: bool = False) -> dict:
    """The JSON schema of an answer about these items (strict-mode compatible).

    `bounded` adds length limits, which a grammar-constrained server (llama.cpp) enforces, so a small
    model cannot spend the whole max_tokens on one quote; OpenAI's strict mode refuses them.
    """
    def limit(schema: dict, **bounds: int) -> dict:
        return {**schema, **bounds} if bounded else schema

    question = {
        "type": "object",
        "properties": {"q": limit({"type": "string"}, maxLength=140),
                       "l": limit({"type": "array", "items": {"type": "integer"}}, maxItems=2)},
        "required": ["q", "l"],
        "additionalProperties": False,
    }
    item = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "enum": item_ids},
            "s": {"type": "string", "enum": ["c", "p", "m"]},
            "q": limit({"type": "string"}, maxLength=160),
            "l": limit({"type": "array", "items": {"type": "integer"}}, maxItems=2),
            "r": limit({"type": "string"}, maxLength=100),
            "f": limit({"type": "array", "items": question}, maxItems=2),
        },
        "required": ["id", "s", "q", "l", "r", "f"],
        "additionalProperties": False,
    }
    items = limit({"type": "array", "items": item}, maxItems=len(item_ids))
    return {"type": "object", "properties": {"items": items},
            "required": ["items"], "additionalProperties": False}


def parse_answer(text: str) -> Answer:
    """Parse the model's text strictly: one JSON object (a code fence around it is tolerated)."""
    fenced = _FENCE.match(text or "")
    body = fenced.group(1) if fenced else (text or "")
    try:
        raw = json.loads(body)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"malformed JSON in the answer ({exc.msg} at character {exc.pos})") from exc
    try:
        return Answer.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AnswerError(f"the answer does not match the schema ({where}: {first['msg']})") from exc
