"""The vector store: the one module that imports chromadb.

Embedded (a persistent folder) by default, or a Chroma server when a host is configured. We always
pass our own embeddings: Chroma's default embedding function would try to download a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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

    def __init__(self, client, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def _collection(self, name: str, create: bool = True):
        full = f"{self._prefix}_{name}"
        if create:
            return self._client.get_or_create_collection(
                full, embedding_function=None, metadata={"hnsw:space": "cosine"})
        try:
            return self._client.get_collection(full, embedding_function=None)
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
    """Open the persistent store at `path`, or a Chroma server when `host` is given."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if host:
            client = chromadb.HttpClient(host=host, port=port, settings=settings)
        else:
            Path(path).mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception as exc:
        where = f"{host}:{port}" if host else str(path)
        raise StoreNotReady(f"cannot open the Chroma store at {where}: {exc}") from exc
    return Store(client, prefix)


def forget_client(path: Path) -> None:
    """Drop Chroma's cached client for one store folder (after the folder was moved aside)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    for identifier in (str(path), str(Path(path).resolve())):
        SharedSystemClient._identifier_to_system.pop(identifier, None)
        SharedSystemClient._identifier_to_refcount.pop(identifier, None)
