"""Start-up of the reviewer: clear errors naming the fix, or an automatic ingest when configured."""

from __future__ import annotations

import logging
import shutil
import time

from app.config import Settings
from app.errors import StoreNotReady
from app.reviewer import Reviewer

log = logging.getLogger("design_review")
FIX = "run `design-review ingest` (or set DESIGN_REVIEW_AUTO_INGEST=true)"


def load_reviewer(settings: Settings) -> Reviewer:
    """The reviewer; a missing or corrupt store is ingested anew when auto-ingest is on."""
    from app.service import build_reviewer, ingest
    try:
        return build_reviewer(settings)
    except StoreNotReady as exc:
        if not settings.auto_ingest:
            raise StoreNotReady(f"the Chroma store is not ready: {_first_line(exc)}; {FIX}") from exc
        log.warning("store not ready, ingesting the corpus (DESIGN_REVIEW_AUTO_INGEST)",
                    extra={"fields": {"reason": _first_line(exc)}})
    except Exception as exc:  # a corrupt Chroma folder fails in many ways; the fix is the same
        if settings.chroma_host or not settings.auto_ingest:
            raise StoreNotReady(f"the Chroma store at {settings.store_path} cannot be read "
                                f"({type(exc).__name__}: {_first_line(exc)}); {FIX}, after moving the "
                                "folder away if it is corrupt") from exc
        _set_aside(settings)
    try:
        report = ingest(settings, progress=False)
    except StoreNotReady:
        raise
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
        log.warning("moved an unreadable store aside", extra={"fields": {"moved_to": str(aside)}})


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
