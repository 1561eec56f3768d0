"""Wiring: settings -> store, embedder, reviewer. Every door builds its reviewer here."""

from __future__ import annotations

import sys

from app.config import Settings
from app.embedder import MODEL_NAME, EMBEDDING_RECIPE, get_embedder
from app.errors import StoreNotReady
from app.ingest import IngestReport, run_ingest
from app.reviewer import Reviewer
from app.store import GUIDANCE, ITEMS, Store, open_store


def store_for(settings: Settings) -> Store:
    return open_store(settings.store_path, settings.collection_prefix, settings.chroma_host,
                      settings.chroma_port)


def embedder_for(settings: Settings):
    return get_embedder(settings.embedding_backend, settings.embedding_threads,
                        settings.onnx_cache_dir, settings.embedding_cache_size,
                        in_process=settings.embedding_process != "on")


def ingest(settings: Settings, progress: bool = True) -> IngestReport:
    """Bring the configured store in line with the corpus."""
    model = f"{MODEL_NAME}:{settings.embedding_backend}:{EMBEDDING_RECIPE}"
    return run_ingest(settings, store_for(settings), lambda: embedder_for(settings), model, progress)


def build_reviewer(settings: Settings, ingest_if_empty: bool = False) -> Reviewer:
    """A reviewer over the configured store and the process-wide embedder.

    `ingest_if_empty`: a local store (a folder, not a Chroma server) that holds no corpus yet is
    filled first, as `design-review ingest` would: what a first `review` or `check` in a new
    checkout (or a pre-commit hook's own environment) needs.
    """
    one_blas_thread()
    if ingest_if_empty and not settings.chroma_host and not _has_corpus(settings):
        print(f"design-review: no corpus in the store at {settings.store_path}: ingesting it first "
              "(once)", file=sys.stderr)
        ingest(settings, progress=False)
    return Reviewer(settings, store_for(settings), embedder_for(settings))


def one_blas_thread() -> None:
    """Run numpy's BLAS on the calling thread only, for the whole process.

    The scorer's matrix products are small. OpenBLAS's helper threads spin while they wait, so
    on two cores they doubled the CPU time of a review (0.14 to 0.065 CPU-seconds for a
    2,000-word design whose vectors are cached) for no gain in wall time. Under load, that CPU
    is taken from the other reviews and requests. Reviews already run in parallel on their own
    threads.
    """
    from threadpoolctl import threadpool_limits
    threadpool_limits(1, user_api="blas")


def _has_corpus(settings: Settings) -> bool:
    try:
        store = store_for(settings)
        return all(store.count(name) > 0 for name in (GUIDANCE, ITEMS))
    except StoreNotReady:
        return False
