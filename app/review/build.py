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
from app.knowledge.ingest import IngestReport, expected_fingerprints, run_ingest, store_is_current
from app.knowledge.loader import Knowledge, load_knowledge
from app.knowledge.prepared import (FILE_NAME, Prepared, fingerprint, prepare, read_prepared, start_texts,
                                    write_prepared)
from app.review.reviewer import Reviewer


def store_for(settings: Settings) -> Store:
    return open_store(settings.store_path, settings.collection_prefix, settings.chroma_host,
                      settings.chroma_port)


def embedder_for(settings: Settings):
    return get_embedder(settings.embedding_backend, settings.embedding_threads,
                        settings.embedding_cache_size, in_process=settings.embedding_process != "on")


def store_model(settings: Settings) -> str:
    """What the store's vectors must come from: the model, the backend setting, the recipe."""
    return f"{MODEL_NAME}:{settings.embedding_backend}:{EMBEDDING_RECIPE}"


def ingest(settings: Settings, progress: bool = True) -> IngestReport:
    """Bring the configured store in line with the corpus, and prepare what a review reads from it."""
    knowledge, store = load_knowledge(settings.corpus_dir), store_for(settings)
    report = run_ingest(knowledge, store, lambda: embedder_for(settings), store_model(settings), progress)
    _prepare(settings, knowledge, store)
    return report


def _stamp(settings: Settings, knowledge: Knowledge) -> str:
    return fingerprint(expected_fingerprints(knowledge, store_model(settings)))


def _prepare(settings: Settings, knowledge: Knowledge, store: Store) -> Prepared | None:
    """Write the prepared file of a local store (app/knowledge/prepared.py); a server has none."""
    if settings.chroma_host:
        return None
    prepared = prepare(store, knowledge.rubric, _stamp(settings, knowledge), settings.guidance_per_finding,
                       embedder_for(settings).embed)
    write_prepared(settings.store_path / FILE_NAME, prepared)
    return prepared


def _prepared(settings: Settings, knowledge: Knowledge) -> Prepared | None:
    """The local store's prepared file, when it was written for this corpus, model and settings."""
    if settings.chroma_host:
        return None
    prepared = read_prepared(settings.store_path / FILE_NAME, _stamp(settings, knowledge))
    if prepared is None or prepared.guidance_per_item != settings.guidance_per_finding \
            or prepared.start_texts != start_texts(knowledge.rubric):
        return None
    return prepared


def build_reviewer(settings: Settings, ingest_if_empty: bool = False) -> Reviewer:
    """A reviewer over the configured store and the process-wide embedder.

    The store must hold this corpus embedded by this model: vectors of another model or an older
    corpus would be read against the wrong anchors. `ingest_if_empty`: a local store (a folder,
    not a Chroma server) that does not is brought in line first, as `design-review ingest` would:
    what a first `review` or `check` in a new checkout (or after an upgrade) needs.
    """
    one_blas_thread()
    knowledge = load_knowledge(settings.corpus_dir)
    store = store_for(settings)
    prepared = _prepared(settings, knowledge)
    if prepared is None and not _is_current(settings, knowledge):
        if not ingest_if_empty or settings.chroma_host:
            raise StoreNotReady(f"the store at {settings.chroma_host or settings.store_path} does not hold "
                                "this corpus embedded by this model: run `design-review ingest`")
        print(f"design-review: the store at {settings.store_path} does not hold this corpus and model "
              "yet: ingesting it first (once)", file=sys.stderr)
        ingest(settings, progress=False)
    elif prepared is None:  # a store ingested before prepared files, or with other guidance settings
        prepared = _prepare(settings, knowledge, store)
    embedder = embedder_for(settings)
    prepared = prepared or _prepared(settings, knowledge)
    if prepared is not None:
        embedder.remember(prepared.anchor_texts, prepared.anchor_vectors)
        if prepared.start_vectors is not None and len(prepared.start_texts):
            embedder.remember(list(prepared.start_texts), prepared.start_vectors)
    return Reviewer(settings, knowledge, store, embedder, prepared)


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
