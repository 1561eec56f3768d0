"""The chat client: one answer per call from any provider's LangChain chat model, inside a deadline.

OpenAI, Azure OpenAI, OpenAI-compatible servers (llama.cpp, vLLM), Anthropic, Google, Bedrock and
Ollama all answer here (app/llm/providers.py builds the chat model). Provider errors become
`LLMFault` with a short reason at this boundary, recognised by their HTTP status, their
Retry-After header and their kind (timeout, connection), never by a provider's own types.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from dataclasses import dataclass

from app.config import Settings
from app.llm.providers import Provider, build_chat_model, provider_of


class LLMFault(Exception):
    """The model could not give an answer in time; `reason` is what the review reports."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Completion:
    """The text of one answer and what it cost."""

    text: str
    input_tokens: int
    output_tokens: int
    truncated: bool


def structured_mode(settings: Settings) -> str:
    """json_schema where the server is OpenAI or Azure; json_object + schema elsewhere (llama.cpp, vLLM);
    `native` (the provider's own structured output through LangChain) for the other providers."""
    provider = provider_of(settings)
    if not provider.openai_family:
        return "none" if settings.llm_structured == "none" else "native"
    if settings.llm_structured != "auto":
        return settings.llm_structured
    url = settings.llm_base_url or ""
    if provider.name == "openai-compatible":
        return "json_object"
    if not url or "api.openai.com" in url or settings.llm_azure_api_version or "azure.com" in url:
        return "json_schema"
    return "json_object"


def response_format(mode: str, schema: dict) -> dict | None:
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": "review", "strict": True, "schema": schema}}
    if mode == "json_object":  # llama.cpp turns the schema into a grammar; others ignore the key
        return {"type": "json_object", "schema": schema}
    return None


def retry_after(headers) -> float | None:
    """Seconds from Retry-After (seconds or an HTTP date) or retry-after-ms, when the server sent one."""
    if headers is None:
        return None
    if headers.get("retry-after-ms"):
        try:
            return float(headers["retry-after-ms"]) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):  # neither seconds nor a date: as if the server sent none
        return None
    return max(0.0, parsed.timestamp() - time.time())


TRUNCATED = {"length", "max_tokens", "MAX_TOKENS"}  # finish or stop reasons of a capped answer


class LLMClient:
    """Chat calls with retries (backoff, jitter, Retry-After) inside a per-review deadline."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.provider: Provider = provider_of(settings)
        self.model = settings.llm_model
        self.mode = structured_mode(settings)
        self._models: dict[int, object] = {}  # by max_tokens, for providers that fix it per model
        self._models[0] = build_chat_model(settings, self.provider)  # fails early on a missing extra
        self._random = random.Random()

    def complete(self, messages: list[dict], schema: dict, max_tokens: int, deadline: float) -> Completion:
        """One answer, retried on 429, 5xx and connection errors while the deadline allows."""
        attempt = 0
        timeout = f"timeout: no answer within the {self.settings.llm_deadline_s:g} s deadline"
        while True:
            if deadline - time.monotonic() <= 0.05:
                raise LLMFault(timeout)
            try:
                return self._create(messages, schema, max_tokens)
            except Exception as exc:  # noqa: BLE001 - every provider's errors, classified below
                kind, status, wait = classify(exc)
                if kind == "truncated":
                    return Completion("", 0, 0, True)
                if kind == "timeout":
                    raise LLMFault(timeout) from exc
                if kind == "connection":
                    reason = f"connection failed ({_cause(exc)})"
                elif status == 429:
                    reason = "rate limited (HTTP 429)"
                elif status is not None and status >= 500:
                    reason = f"server error (HTTP {status})"
                elif status is not None:
                    raise LLMFault(f"HTTP {status} from the model server: {_short(exc)}") from exc
                else:
                    raise LLMFault(f"the model's answer could not be read ({type(exc).__name__}: "
                                   f"{_short(exc)})") from exc
            attempt += 1
            wait = self._backoff(attempt, wait)
            if attempt > self.settings.llm_max_retries or time.monotonic() + wait >= deadline:
                raise LLMFault(f"{reason}, {attempt} attempt{'s' if attempt > 1 else ''}")
            time.sleep(wait)

    def _backoff(self, attempt: int, server_wait: float | None) -> float:
        """Full jitter on an exponential step, never shorter than what the server asked for."""
        jittered = self._random.uniform(0, min(8.0, 0.5 * 2 ** (attempt - 1)))
        return max(server_wait or 0.0, jittered)

    def _model(self, max_tokens: int):
        """The chat model; providers that take the output cap at construction get one per cap."""
        if self.provider.openai_family:
            return self._models[0]
        if max_tokens not in self._models:
            self._models[max_tokens] = build_chat_model(self.settings, self.provider, max_tokens)
        return self._models[max_tokens]

    def _create(self, messages: list[dict], schema: dict, max_tokens: int) -> Completion:
        model = self._model(max_tokens)
        kwargs: dict = {}
        if self.provider.openai_family:
            # max_tokens in the body: LangChain sends max_completion_tokens, which llama.cpp ignores.
            kwargs["extra_body"] = {"max_tokens": max_tokens}
            fmt = response_format(self.mode, schema)
            if fmt:
                kwargs["response_format"] = fmt
            message = model.invoke(messages, **kwargs)
        elif self.mode == "native":
            tool = {"name": "review", "description": "The review of the rubric items.", "input_schema": schema}
            if self.provider.name in ("google", "ollama"):
                tool = {**schema, "title": "review", "description": "The review of the rubric items."}
            out = model.with_structured_output(tool, include_raw=True).invoke(messages)
            message = out["raw"]
        else:
            message = model.invoke(messages)
        return _completion(message)


def classify(exc: BaseException) -> tuple[str, int | None, float | None]:
    """(kind, HTTP status, Retry-After seconds) of a provider's error, from it and its causes.

    kind: truncated (the answer hit its cap), timeout, connection, status (an HTTP error), other.
    """
    seen = exc
    while seen is not None:
        name = type(seen).__name__
        if "LengthFinishReason" in name:
            return "truncated", None, None
        response = getattr(seen, "response", None)
        status = getattr(seen, "status_code", None) or getattr(response, "status_code", None)
        if isinstance(status, int):
            return "status", status, retry_after(getattr(response, "headers", None))
        if "Timeout" in name or "timed out" in str(seen).lower():
            return "timeout", None, None
        if "Connect" in name or "Connection" in name:
            return "connection", None, None
        seen = seen.__cause__ or seen.__context__
    return "other", None, None


def _completion(message) -> Completion:
    """Text, usage and whether the answer was capped, from a LangChain AI message."""
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        text = json.dumps(calls[0].get("args") or {})
    elif isinstance(message.content, str):
        text = message.content
    else:  # content blocks
        text = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in message.content)
    usage = getattr(message, "usage_metadata", None) or {}
    meta = getattr(message, "response_metadata", None) or {}
    stop = meta.get("finish_reason") or meta.get("stop_reason") or meta.get("done_reason") \
        or meta.get("stopReason")
    return Completion(text=text, input_tokens=int(usage.get("input_tokens") or 0),
                      output_tokens=int(usage.get("output_tokens") or 0), truncated=stop in TRUNCATED)


def _cause(exc: Exception) -> str:
    inner = exc.__cause__ or exc.__context__
    return type(inner).__name__ if inner else type(exc).__name__


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
