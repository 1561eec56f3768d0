"""Settings: one pydantic-settings class, built by a function, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything a deployment may change, read from DESIGN_REVIEW_* variables."""

    model_config = SettingsConfigDict(env_prefix="DESIGN_REVIEW_", extra="ignore")

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    store_path: Path = Path(".design-review/chroma")
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection_prefix: str = "design_review"
    embedding_backend: Literal["auto", "onnx", "torch"] = "auto"
    onnx_cache_dir: Path = Path(".design-review/onnx")
    embedding_threads: int = 2
    max_document_bytes: int = Field(default=1_000_000, gt=0)
    max_document_lines: int = Field(default=20_000, gt=0)
    review_cache_size: int = Field(default=256, ge=0)
    embedding_cache_size: int = Field(default=50_000, ge=0)
    guidance_per_finding: int = Field(default=2, ge=0, le=10)


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
