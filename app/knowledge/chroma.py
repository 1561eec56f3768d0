"""The vector store: the one module that imports chromadb.

Embedded (a persistent folder) by default, or a Chroma server when a host is configured. We always
pass our own embeddings: Chroma's default embedding function would try to download a model.
chromadb is imported when a store is first used, not when it is opened: importing it costs ~1.2 s,
and a review whose store was prepared at ingest (app/knowledge/prepared.py) never asks it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from app.errors import StoreNotReady

GUIDANCE = "guidance"
ITEMS = "rubric_items"


@dataclass(frozen=True)
class Hit:
    """One stored chunk returned by a query."""

    id: str
    text: str
    metadata: dict
    distance: float


class Store:
    """Named collections of embedded chunks with metadata."""

    def __init__(self, connect: Callable[[], object], prefix: str) -> None:
        self._connect = connect
        self._client = None
        self._lock = threading.Lock()
        self._prefix = prefix

    @property
    def client(self):
        """The Chroma client, made on first use."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _collection(self, name: str, create: bool = True):
        full = f"{self._prefix}_{name}"
        if create:
            return self.client.get_or_create_collection(
                full, embedding_function=None, metadata={"hnsw:space": "cosine"})
        try:
            return self.client.get_collection(full, embedding_function=None)
        except Exception as exc:
            raise StoreNotReady(
                f"the Chroma collection {full!r} does not exist: run `design-review ingest`") from exc

    def fingerprints(self, name: str) -> dict[str, str]:
        """Map every stored id to the content hash kept in its metadata."""
        got = self._collection(name).get(include=["metadatas"])
        return {i: (m or {}).get("sha256", "") for i, m in zip(got["ids"], got["metadatas"])}

    def upsert(self, name: str, ids: list[str], vectors: np.ndarray, texts: list[str],
               metadatas: list[dict]) -> None:
        if ids:
            self._collection(name).upsert(ids=ids, embeddings=vectors.tolist(), documents=texts,
                                          metadatas=metadatas)

    def delete(self, name: str, ids: list[str]) -> None:
        if ids:
            self._collection(name).delete(ids=ids)

    def vectors(self, name: str) -> tuple[list[str], "np.ndarray", list[dict]]:
        """Every stored id with its vector and metadata, in id order."""
        got = self._collection(name, create=False).get(include=["embeddings", "metadatas"])
        order = sorted(range(len(got["ids"])), key=lambda k: got["ids"][k])
        if not order:
            raise StoreNotReady(f"the Chroma collection {name!r} is empty: run `design-review ingest`")
        vectors = np.asarray(got["embeddings"], dtype=np.float32)[order]
        return [got["ids"][k] for k in order], vectors, [got["metadatas"][k] or {} for k in order]

    def texts(self, name: str, ids: list[str]) -> list[str]:
        """The stored text of each id."""
        got = self._collection(name, create=False).get(ids=ids, include=["documents"])
        by_id = dict(zip(got["ids"], got["documents"]))
        return [by_id[i] for i in ids]

    def count(self, name: str) -> int:
        return self._collection(name, create=False).count()

    def query(self, name: str, vectors: np.ndarray, n: int, where: dict | None = None) -> list[list[Hit]]:
        """The n nearest chunks for each query vector, optionally filtered by metadata."""
        col = self._collection(name, create=False)
        got = col.query(query_embeddings=vectors.tolist(), n_results=n, where=where,
                        include=["documents", "metadatas", "distances"])
        return [
            [Hit(i, d, m or {}, float(dist)) for i, d, m, dist in zip(ids, docs, metas, dists)]
            for ids, docs, metas, dists in zip(got["ids"], got["documents"], got["metadatas"],
                                                got["distances"])
        ]


def open_store(path: Path, prefix: str = "design_review", host: str | None = None,
               port: int = 8000) -> Store:
    """The persistent store at `path`, or a Chroma server when `host` is given; connected on first use."""
    return Store(lambda: _connect(path, host, port), prefix)


def _connect(path: Path, host: str | None, port: int):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if host:
            return chromadb.HttpClient(host=host, port=port, settings=settings)
        Path(path).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception as exc:
        where = f"{host}:{port}" if host else str(path)
        raise StoreNotReady(f"cannot open the Chroma store at {where}: {exc}") from exc


def forget_client(path: Path) -> None:
    """Drop Chroma's cached client for one store folder (after the folder was moved aside)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    for identifier in (str(path), str(Path(path).resolve())):
        SharedSystemClient._identifier_to_system.pop(identifier, None)
        SharedSystemClient._identifier_to_refcount.pop(identifier, None)
