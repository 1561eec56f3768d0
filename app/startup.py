"""Start-up of the reviewer: clear errors naming the fix, or an automatic ingest when configured."""

from __future__ import annotations

import logging
import shutil
import time

from app.config import Settings
from app.errors import StoreNotReady
from app.reviewer import Reviewer
from app.store import forget_client

log = logging.getLogger("design_review")
FIX = "run `design-review ingest` (or set DESIGN_REVIEW_AUTO_INGEST=true)"


def load_reviewer(settings: Settings) -> Reviewer:
    """The reviewer; a missing or corrupt store is ingested anew when auto-ingest is on."""
    from app.service import build_reviewer, ingest
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
