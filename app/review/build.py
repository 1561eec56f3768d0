"""Wiring: settings -> knowledge, store, embedder, reviewer; ingest; start-up with clear errors."""

from __future__ import annotations

import logging
import shutil
import sys
import time

from app.config import Settings
from app.embedding.embedder import EMBEDDING_RECIPE, MODEL_NAME, get_embedder
from app.errors import StoreNotReady
from app.knowledge.chroma import Store, forget_client, open_store
from app.knowledge.ingest import IngestReport, run_ingest, store_is_current
from app.knowledge.loader import load_knowledge
from app.review.reviewer import Reviewer


def store_for(settings: Settings) -> Store:
    return open_store(settings.store_path, settings.collection_prefix, settings.chroma_host,
                      settings.chroma_port)


def embedder_for(settings: Settings):
    return get_embedder(settings.embedding_backend, settings.embedding_threads,
                        settings.onnx_cache_dir, settings.embedding_cache_size,
                        in_process=settings.embedding_process != "on")


def store_model(settings: Settings) -> str:
    """What the store's vectors must come from: the model, the backend setting, the recipe."""
    return f"{MODEL_NAME}:{settings.embedding_backend}:{EMBEDDING_RECIPE}"


def ingest(settings: Settings, progress: bool = True) -> IngestReport:
    """Bring the configured store in line with the corpus."""
    return run_ingest(load_knowledge(settings.corpus_dir), store_for(settings),
                      lambda: embedder_for(settings), store_model(settings), progress)


def build_reviewer(settings: Settings, ingest_if_empty: bool = False) -> Reviewer:
    """A reviewer over the configured store and the process-wide embedder.

    The store must hold this corpus embedded by this model: vectors of another model or an older
    corpus would be read against the wrong anchors. `ingest_if_empty`: a local store (a folder,
    not a Chroma server) that does not is brought in line first, as `design-review ingest` would:
    what a first `review` or `check` in a new checkout (or after an upgrade) needs.
    """
    one_blas_thread()
    knowledge = load_knowledge(settings.corpus_dir)
    if not _is_current(settings, knowledge):
        if not ingest_if_empty or settings.chroma_host:
            raise StoreNotReady(f"the store at {settings.chroma_host or settings.store_path} does not hold "
                                "this corpus embedded by this model: run `design-review ingest`")
        print(f"design-review: the store at {settings.store_path} does not hold this corpus and model "
              "yet: ingesting it first (once)", file=sys.stderr)
        ingest(settings, progress=False)
    return Reviewer(settings, knowledge, store_for(settings), embedder_for(settings))


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


def _is_current(settings: Settings, knowledge) -> bool:
    try:
        return store_is_current(knowledge, store_for(settings), store_model(settings))
    except StoreNotReady:
        return False


log = logging.getLogger("design_review")
FIX = "run `design-review ingest` (or set DESIGN_REVIEW_AUTO_INGEST=true)"


def load_reviewer(settings: Settings) -> Reviewer:
    """The reviewer; a missing or corrupt store is ingested anew when auto-ingest is on."""
    try:
        return build_reviewer(settings)
    except Exception as exc:  # a missing or corrupt Chroma folder fails in many ways; the fix is the same
        if not settings.auto_ingest:
            if isinstance(exc, StoreNotReady) and "design-review ingest" in str(exc):
                raise
            raise StoreNotReady(f"the Chroma store at {settings.chroma_host or settings.store_path} cannot "
                                f"be read ({type(exc).__name__}: {_first_line(exc)}); {FIX}, after moving "
                                "the folder away if it is corrupt") from exc
        log.warning("store not ready, ingesting the corpus (DESIGN_REVIEW_AUTO_INGEST)",
                    extra={"fields": {"reason": _first_line(exc)}})
    try:
        report = ingest(settings, progress=False)
    except Exception:
        if settings.chroma_host:
            raise
        _set_aside(settings)  # the folder itself is unreadable: start it afresh
        report = ingest(settings, progress=False)
    log.info("auto-ingest done", extra={"fields": {"summary": report.summary()}})
    return build_reviewer(settings)


def _set_aside(settings: Settings) -> None:
    """Move an unreadable store folder aside (kept for inspection), so ingest builds a new one."""
    path = settings.store_path
    if path.exists():
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        shutil.move(str(path), str(aside))
        forget_client(path)  # Chroma keeps a client per path; the broken one must not be reused
        log.warning("moved an unreadable store aside", extra={"fields": {"moved_to": str(aside)}})


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
