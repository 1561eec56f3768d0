"""Settings: one pydantic-settings class, built by a function, never at import."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shipped_dir(name: str) -> Path:
    """A data folder of the project (corpus, prompts): the checkout's, else the copy a wheel
    installs under <prefix>/share/design-reviewer."""
    checkout = PROJECT_ROOT / name
    installed = Path(sys.prefix) / "share" / "design-reviewer" / name
    return checkout if checkout.is_dir() or not installed.is_dir() else installed


def default_corpus_dir() -> Path:
    """The checkout's corpus/, else the copy a wheel installs under <prefix>/share."""
    return shipped_dir("corpus")


def _listing(value: str | list) -> list[str]:
    """A list setting from a JSON list or comma-separated text: items stripped, empty ones dropped."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip().startswith("[") else value.split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def _env(name: str, *plain: str) -> AliasChoices:
    """DESIGN_REVIEW_<NAME>, any plain provider variable (OPENAI_API_KEY), or the field name itself."""
    return AliasChoices(f"DESIGN_REVIEW_{name.upper()}", *plain, name)


def _slack(name: str) -> AliasChoices:
    """SLACK_<NAME>, DESIGN_REVIEW_SLACK_<NAME>, or the field name itself (keyword arguments)."""
    return AliasChoices(f"SLACK_{name.upper()}", f"DESIGN_REVIEW_SLACK_{name.upper()}", f"slack_{name}")


class Settings(BaseSettings):
    """Everything a deployment may change, read from DESIGN_REVIEW_* variables."""

    model_config = SettingsConfigDict(env_prefix="DESIGN_REVIEW_", extra="ignore")

    corpus_dir: Path = Field(default_factory=default_corpus_dir)
    store_path: Path = Path(".design-review/chroma")
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection_prefix: str = "design_review"
    embedding_backend: Literal["auto", "onnx", "torch"] = "auto"
    embedding_threads: int = 2
    # "auto": the server runs the model in a child process (app/embedding/worker.py), the CLI in
    # the calling process.
    embedding_process: Literal["auto", "on", "off"] = "auto"
    max_document_bytes: int = Field(default=1_000_000, gt=0)
    max_document_lines: int = Field(default=20_000, gt=0)
    # The cost of a review is embedding its distinct lines (~3 ms each here): past this many, a
    # design is refused (413) before it takes a review slot. A long real design has ~600.
    max_unique_lines: int = Field(default=4_000, gt=0)
    # Requests without a valid key, per client address, a minute (and in a burst); 0 = unlimited.
    failed_auth_per_minute: int = Field(default=30, ge=0)
    # With API keys, each key reads back only the reviews it asked for; true: every key reads all.
    shared_history: bool = False
    # A request's body must have arrived this many seconds after the request began; 0 = no limit.
    body_timeout_s: float = Field(default=15.0, ge=0)
    review_cache_size: int = Field(default=256, ge=0)
    embedding_cache_size: int = Field(default=50_000, ge=0)
    guidance_per_finding: int = Field(default=2, ge=0, le=10)
    # Slack bot (app/slack/): Slack's usual variable names, or the DESIGN_REVIEW_ ones.
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=_slack("bot_token"))
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias=_slack("signing_secret"))
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=_slack("app_token"))
    slack_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_slack("allowed_hosts"),
        description="hosts (comma-separated) whose raw text/markdown URLs the bot may fetch")
    slack_api_url: str | None = Field(default=None, validation_alias=_slack("api_url"),
                                      description="base URL of Slack's Web API (a stand-in in tests)")

    # Operations (app/operations.py): stored reviews, auth, limits, logs.
    database_url: str | None = Field(
        default=None, description="sqlite:///PATH or postgresql://...; default sqlite under .design-review/")
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated keys or sha256:<hex>; held only as hashes")
    metrics_require_auth: bool = True
    max_request_bytes: int = Field(default=2_000_000, gt=0)
    rate_limit_per_minute: float = Field(default=600, ge=0, description="per API key or client IP; 0 = off")
    rate_limit_burst: int = Field(default=60, ge=1)
    max_concurrent_reviews: int = Field(default=2, ge=1, description="reviews scored at once")
    max_queued_reviews: int = Field(default=4, ge=0, description="reviews waiting beyond those; more get 503")
    review_timeout_s: float = Field(default=30.0, gt=0)
    max_in_flight_requests: int = Field(default=64, ge=0, description="requests at once; more get 503; 0 = off")
    auto_ingest: bool = False
    log_format: Literal["json", "text"] = "json"
    # Addresses of the proxies whose X-Forwarded-For / -Proto the server believes (uvicorn's
    # forwarded_allow_ips); empty: none, so a client cannot choose the address its limits count.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Replicas (docs/deploy.md): shared state and review jobs on Redis; unset = in this process.
    redis_url: str | None = Field(default=None, description="redis://HOST:PORT/DB: rate limits, Slack "
                                  "dedupe, in-flight reviews, the hot cache and review jobs shared by replicas")
    redis_prefix: str = Field(default="design_review", description="the prefix of every Redis key")
    redis_retry_s: float = Field(default=2.0, gt=0, description="after a Redis failure, in-process state "
                                 "for this long before Redis is tried again")
    job_lease_s: int = Field(default=10, ge=2, description="a job whose worker has not been heard of "
                             "for this long is given to another worker")
    job_timeout_s: int = Field(default=600, ge=10, description="the most one review job may run")
    job_result_ttl_s: int = Field(default=86_400, ge=60, description="how long a finished job is kept")
    callback_secret: SecretStr | None = Field(default=None, description="HMAC-SHA256 key of job callbacks")
    callback_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="hosts (host or host:port, comma-separated) a job may call back")

    @field_validator("callback_allowed_hosts", mode="before")
    @classmethod
    def _callback_hosts(cls, value: object) -> object:
        return [h.lower() for h in _listing(value)] if isinstance(value, (str, list)) else value

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _forwarded(cls, value: object) -> object:
        return _listing(value) if isinstance(value, (str, list)) else value

    @field_validator("api_keys", mode="before")
    @classmethod
    def _hash_keys(cls, value: object) -> object:
        """Comma-separated (or JSON list) keys to sha256:<hex> hashes: no plain key is kept."""
        from app.keys import normalise_keys
        return normalise_keys(_listing(value)) if isinstance(value, (str, list)) else value

    # The LLM scorer (app/llm/): on when an API key is set; any OpenAI-compatible server.
    review_backend: Literal["auto", "local", "llm"] = Field(
        default="auto", description="auto = the LLM scorer when an API key is set, else local")
    llm_api_key: SecretStr | None = Field(default=None, validation_alias=_env("llm_api_key", "OPENAI_API_KEY"))
    llm_base_url: str | None = Field(default=None, validation_alias=_env("llm_base_url", "OPENAI_BASE_URL"))
    llm_provider: Literal["openai", "azure", "openai-compatible", "anthropic", "google", "bedrock", "ollama"] = Field(
        default="openai", validation_alias=_env("llm_provider"),
        description="which chat model API answers (app/llm/providers.py); each but OpenAI's is an extra")
    llm_model: str = Field(default="gpt-4o-mini", validation_alias=_env("llm_model"))
    llm_azure_api_version: str | None = Field(
        default=None, validation_alias=_env("llm_azure_api_version", "OPENAI_API_VERSION"),
        description="set for Azure OpenAI: the base URL is then the Azure endpoint, the model the deployment")
    llm_structured: Literal["auto", "json_schema", "json_object", "none"] = Field(
        default="auto", validation_alias=_env("llm_structured"),
        description="auto = json_schema for OpenAI and Azure, json_object + schema for other servers")
    llm_temperature: float = Field(default=0.0, ge=0, le=2, validation_alias=_env("llm_temperature"))
    llm_seed: int | None = Field(default=7, validation_alias=_env("llm_seed"))
    llm_deadline_s: float = Field(default=60.0, gt=0, validation_alias=_env("llm_deadline_s"),
                                  description="the LLM part of one review, retries included")
    llm_max_retries: int = Field(default=3, ge=0, validation_alias=_env("llm_max_retries"))
    llm_call_tokens: int = Field(default=16_000, gt=0, validation_alias=_env("llm_call_tokens"),
                                 description="input tokens one call may carry; past it, stages split")
    llm_token_ceiling: int = Field(default=100_000, gt=0, validation_alias=_env("llm_token_ceiling"),
                                   description="input + output tokens one review may spend")
    llm_output_tokens_per_item: int = Field(default=70, gt=0, validation_alias=_env("llm_output_tokens_per_item"))
    llm_max_tokens: int = Field(default=4096, gt=0, validation_alias=_env("llm_max_tokens"),
                                description="max_tokens of one call, whatever its items")
    llm_concurrency: int = Field(default=4, ge=1, validation_alias=_env("llm_concurrency"))
    llm_stages: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("llm_stages"),
        description="stages and topics the LLM judges (comma-separated; empty = all)")
    llm_guidance_chars: int = Field(default=300, ge=0, validation_alias=_env("llm_guidance_chars"))
    llm_cache_dir: Path | None = Field(default=Path(".design-review/llm-cache"),
                                       validation_alias=_env("llm_cache_dir"))
    llm_price_input_per_mtok: float | None = Field(default=None, ge=0,
                                                   validation_alias=_env("llm_price_input_per_mtok"))
    llm_price_output_per_mtok: float | None = Field(default=None, ge=0,
                                                    validation_alias=_env("llm_price_output_per_mtok"))

    @property
    def llm_configured(self) -> bool:
        """A key is set, or a provider other than OpenAI was chosen (its credentials are its own)."""
        keyed = self.llm_api_key is not None and bool(self.llm_api_key.get_secret_value())
        return keyed or self.llm_provider != "openai"

    @field_validator("llm_stages", mode="before")
    @classmethod
    def _split_stages(cls, value: object) -> object:
        return _listing(value) if isinstance(value, (str, list)) else value

    @field_validator("slack_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        """A comma-separated variable (or a JSON list) to lower-case host names."""
        return [h.lower() for h in _listing(value)] if isinstance(value, (str, list)) else value


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
