"""The OpenAI-compatible chat client: the one module that imports openai.

OpenAI, Azure OpenAI, Ollama, vLLM and the llama.cpp server all answer here. Provider errors become
`LLMFault` with a short reason at this boundary; nothing past it sees an openai type.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

import openai

from app.config import Settings


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
    """json_schema where the server is OpenAI or Azure; json_object + schema elsewhere (llama.cpp, Ollama)."""
    if settings.llm_structured != "auto":
        return settings.llm_structured
    url = settings.llm_base_url or ""
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


class LLMClient:
    """Chat completions with retries (backoff, jitter, Retry-After) inside a per-review deadline."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = settings.llm_model
        self.mode = structured_mode(settings)
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "unset"
        if settings.llm_azure_api_version:
            self._client = openai.AzureOpenAI(api_key=key, azure_endpoint=settings.llm_base_url,
                                              api_version=settings.llm_azure_api_version, max_retries=0)
        else:
            self._client = openai.OpenAI(api_key=key, base_url=settings.llm_base_url, max_retries=0)
        self._random = random.Random()

    def complete(self, messages: list[dict], schema: dict, max_tokens: int, deadline: float) -> Completion:
        """One answer, retried on 429, 5xx and connection errors while the deadline allows."""
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                raise LLMFault(f"timeout: no answer within the {self.settings.llm_deadline_s:g} s deadline")
            try:
                return self._create(messages, schema, max_tokens, remaining)
            except openai.APITimeoutError as exc:
                raise LLMFault(f"timeout: no answer within the {self.settings.llm_deadline_s:g} s deadline") from exc
            except openai.RateLimitError as exc:
                wait, reason = retry_after(exc.response.headers), "rate limited (HTTP 429)"
            except openai.APIConnectionError as exc:
                wait, reason = None, f"connection failed ({_cause(exc)})"
            except openai.APIStatusError as exc:
                if exc.status_code < 500:
                    raise LLMFault(f"HTTP {exc.status_code} from the model server: {_short(exc)}") from exc
                wait, reason = retry_after(exc.response.headers), f"server error (HTTP {exc.status_code})"
            attempt += 1
            wait = self._backoff(attempt, wait)
            if attempt > self.settings.llm_max_retries or time.monotonic() + wait >= deadline:
                raise LLMFault(f"{reason}, {attempt} attempt{'s' if attempt > 1 else ''}")
            time.sleep(wait)

    def _backoff(self, attempt: int, server_wait: float | None) -> float:
        """Full jitter on an exponential step, never shorter than what the server asked for."""
        jittered = self._random.uniform(0, min(8.0, 0.5 * 2 ** (attempt - 1)))
        return max(server_wait or 0.0, jittered)

    def _create(self, messages: list[dict], schema: dict, max_tokens: int, timeout: float) -> Completion:
        kwargs: dict = {"model": self.model, "messages": messages, "temperature": self.settings.llm_temperature,
                        "max_tokens": max_tokens}  # max_tokens in the body: llama.cpp ignores the newer name
        if self.settings.llm_seed is not None:
            kwargs["seed"] = self.settings.llm_seed
        fmt = response_format(self.mode, schema)
        if fmt:
            kwargs["response_format"] = fmt
        resp = self._client.with_options(timeout=timeout).chat.completions.create(**kwargs)
        choice = resp.choices[0] if resp.choices else None
        usage = resp.usage
        return Completion(
            text=(choice.message.content or "") if choice else "",
            input_tokens=(usage.prompt_tokens or 0) if usage else 0,
            output_tokens=(usage.completion_tokens or 0) if usage else 0,
            truncated=bool(choice and choice.finish_reason == "length"))


def _cause(exc: Exception) -> str:
    inner = exc.__cause__ or exc.__context__
    return type(inner).__name__ if inner else "no response"


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]
