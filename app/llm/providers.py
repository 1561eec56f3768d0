"""Chat models through LangChain: the one module that imports a provider package.

Which provider answers is a setting (`llm_provider`); each provider's package is an optional extra,
imported only when that provider is asked for. Everything past this module sees a LangChain chat
model and a `Provider` record, never a provider's own types.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

from app.config import Settings
from app.errors import UserError


@dataclass(frozen=True)
class Provider:
    """How one provider is built and asked: its package, class, extra, and how it caps output."""

    name: str
    module: str
    cls: str
    extra: str
    key_env: str | None      # the provider's usual key variable, preferred to llm_api_key
    openai_family: bool      # speaks OpenAI's chat completions: response_format, max_tokens in the body
    max_tokens_field: str    # the chat model's own name for the output cap (non-OpenAI providers)


PROVIDERS = {p.name: p for p in (
    Provider("openai", "langchain_openai", "ChatOpenAI", "openai", "OPENAI_API_KEY", True, "max_tokens"),
    Provider("azure", "langchain_openai", "AzureChatOpenAI", "openai", "AZURE_OPENAI_API_KEY", True, "max_tokens"),
    Provider("openai-compatible", "langchain_openai", "ChatOpenAI", "openai", None, True, "max_tokens"),
    Provider("anthropic", "langchain_anthropic", "ChatAnthropic", "anthropic", "ANTHROPIC_API_KEY", False,
             "max_tokens"),
    Provider("google", "langchain_google_genai", "ChatGoogleGenerativeAI", "google", "GOOGLE_API_KEY", False,
             "max_output_tokens"),
    Provider("bedrock", "langchain_aws", "ChatBedrockConverse", "bedrock", None, False, "max_tokens"),
    Provider("ollama", "langchain_ollama", "ChatOllama", "ollama", None, False, "num_predict"),
)}


def provider_of(settings: Settings) -> Provider:
    """The provider the settings ask for; `openai` with an Azure API version is Azure."""
    name = settings.llm_provider
    if name == "openai" and settings.llm_azure_api_version:
        name = "azure"
    return PROVIDERS[name]


def chat_class(provider: Provider) -> type:
    """The provider's LangChain chat model class; a clear error naming the extra when it is missing."""
    try:
        module = importlib.import_module(provider.module)
    except ImportError as exc:
        raise UserError(
            f"the {provider.name} LLM provider needs the `{provider.extra}` extra: "
            f"pip install 'design-reviewer[{provider.extra}]' ({provider.module} is not installed)") from exc
    return getattr(module, provider.cls)


def build_chat_model(settings: Settings, provider: Provider, max_tokens: int | None = None) -> Any:
    """A chat model with no retries of its own (the client retries), temperature and seed set."""
    cls = chat_class(provider)
    kwargs: dict[str, Any] = {"model": settings.llm_model, "temperature": settings.llm_temperature}
    key = _key(settings, provider)
    url = settings.llm_base_url
    timeout = settings.llm_deadline_s
    if provider.openai_family:
        kwargs.update(api_key=key or "unset", max_retries=0, timeout=timeout)
        if settings.llm_seed is not None:
            kwargs["seed"] = settings.llm_seed
        if provider.name == "azure":
            kwargs.update(azure_endpoint=url, api_version=settings.llm_azure_api_version,
                          azure_deployment=settings.llm_model)
        elif url:
            kwargs["base_url"] = url
    elif provider.name == "anthropic":
        kwargs.update(max_retries=0, timeout=timeout, max_tokens=max_tokens or 1024)
        if key:
            kwargs["api_key"] = key
        if url:
            kwargs["base_url"] = url
    elif provider.name == "google":
        kwargs.update(max_retries=0, timeout=timeout, max_output_tokens=max_tokens)
        if key:
            kwargs["google_api_key"] = key
    elif provider.name == "bedrock":
        kwargs.update(max_tokens=max_tokens)
        if url:
            kwargs["endpoint_url"] = url
    elif provider.name == "ollama":
        kwargs.update(num_predict=max_tokens, seed=settings.llm_seed)
        if url:
            kwargs["base_url"] = url
    return cls(**kwargs)


def _key(settings: Settings, provider: Provider) -> str | None:
    """The provider's own key variable when set, else DESIGN_REVIEW_LLM_API_KEY (or OPENAI_API_KEY)."""
    own = os.environ.get(provider.key_env) if provider.key_env else None
    if own and not provider.openai_family:
        return own
    return settings.llm_api_key.get_secret_value() if settings.llm_api_key else own
