"""The process's reviewer, loaded in the background so a server answers /healthz while it warms up."""

from __future__ import annotations

import logging
import threading

from app.config import Settings
from app.errors import DependencyError
from app.review.build import load_reviewer
from app.review.reviewer import Reviewer

log = logging.getLogger("design_review")


class Runtime:
    """Loads the reviewer in the background so the server answers /healthz while it warms up."""

    def __init__(self, settings: Settings, server: bool = True) -> None:
        if server and settings.embedding_process == "auto":  # a server: the model in a process of its own
            settings = settings.model_copy(update={"embedding_process": "on"})
        self.settings = settings
        self._reviewer: Reviewer | None = None
        self.error: str | None = None
        self._ready = threading.Event()

    @classmethod
    def of(cls, reviewer: Reviewer) -> "Runtime":
        """A runtime over a reviewer already built (the CLI, tests, benchmarks)."""
        runtime = cls(reviewer.settings, server=False)
        runtime._reviewer = reviewer
        runtime._ready.set()
        return runtime

    def start(self) -> None:
        if self._ready.is_set():
            return
        threading.Thread(target=self._load, name="reviewer-loader", daemon=True).start()

    def _load(self) -> None:
        try:
            self._reviewer = load_reviewer(self.settings)
        except Exception as exc:  # reported through /healthz and every route
            self.error = str(exc)
            log.error("reviewer failed to start: %s", exc)
        finally:
            self._ready.set()

    @property
    def ready(self) -> bool:
        """Whether loading has ended: `reviewer()` then answers at once, with it or with the error."""
        return self._ready.is_set()

    def reviewer(self, wait: float = 30.0) -> Reviewer:
        self._ready.wait(wait)
        if self._reviewer is None:
            raise DependencyError(self.error or "the reviewer is still starting; retry in a few seconds")
        return self._reviewer

    def health(self) -> dict:
        if not self._ready.is_set():
            return {"status": "starting", "model": False, "store": False}
        if self._reviewer is None:
            return {"status": "error", "model": False, "store": False, "error": self.error}
        return {"status": "ok", "model": True, "store": True,
                "embedding_model": self._reviewer.embedder.name,
                "rubric_version": self._reviewer.rubric.version,
                "corpus_version": self._reviewer.corpus_version}
