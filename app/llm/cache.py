"""Answers kept by what produced them, so the same document costs no second call.

Keyed by the document hash, rubric, corpus, prompt and model versions and the call's items; held in
memory and, when a folder is configured, on disk (one JSON file per answer) so separate CLI runs and
replicas sharing the folder reuse them. Only answers that parsed are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from pathlib import Path


def cache_key(**parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class AnswerCache:
    """An LRU in memory over an optional folder of JSON files."""

    def __init__(self, folder: Path | None, size: int = 512) -> None:
        self.folder = folder
        self.size = size
        self._memory: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        if self.folder is None:
            return None
        try:
            value = json.loads((self.folder / f"{key}.json").read_text())
        except (OSError, ValueError):
            return None
        self._remember(key, value)
        return value

    def put(self, key: str, value: dict) -> None:
        self._remember(key, value)
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.{threading.get_ident()}"
            tmp.write_text(json.dumps(value))
            tmp.replace(self.folder / f"{key}.json")  # atomic: a reader never sees half a file
        except OSError:
            pass  # a read-only folder costs a repeat call, not a failed review

    def _remember(self, key: str, value: dict) -> None:
        with self._lock:
            self._memory[key] = value
            self._memory.move_to_end(key)
            while len(self._memory) > self.size:
                self._memory.popitem(last=False)
