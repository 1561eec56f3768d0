"""Wiring: settings -> store, embedder, reviewer. Every door builds its reviewer here."""

from __future__ import annotations

from app.config import Settings
from app.embedder import MODEL_NAME, EMBEDDING_RECIPE, get_embedder
from app.ingest import IngestReport, run_ingest
from app.reviewer import Reviewer
from app.store import Store, open_store


def store_for(settings: Settings) -> Store:
    return open_store(settings.store_path, settings.collection_prefix, settings.chroma_host,
                      settings.chroma_port)


def embedder_for(settings: Settings):
    return get_embedder(settings.embedding_backend, settings.embedding_threads,
                        settings.onnx_cache_dir, settings.embedding_cache_size)


def ingest(settings: Settings, progress: bool = True) -> IngestReport:
    """Bring the configured store in line with the corpus."""
    model = f"{MODEL_NAME}:{settings.embedding_backend}:{EMBEDDING_RECIPE}"
    return run_ingest(settings, store_for(settings), lambda: embedder_for(settings), model, progress)


def build_reviewer(settings: Settings) -> Reviewer:
    """A reviewer over the configured store and the process-wide embedder."""
    return Reviewer(settings, store_for(settings), embedder_for(settings))
