"""What a review reads from the store, prepared at ingest: the rubric's anchors, each item's guidance,
and the vectors of the other texts a reviewer embeds when it starts (stage and topic titles, the
items' aspect anchors).

Reading them from Chroma at every start cost a review ~1.2 s of imports and a dozen queries. Ingest
reads them once, as a reviewer would, and writes them to one file in the store's folder, stamped
with the fingerprint of what the store holds (this corpus embedded by this model). A reviewer whose
corpus and model give the same fingerprint reads the file and leaves Chroma alone until a query
needs it. A Chroma server has no such file: the reviewer asks the server.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.knowledge.chroma import GUIDANCE, ITEMS, Store
from app.knowledge.rubric import Rubric

FILE_NAME = "design-review-prepared.npz"
FORMAT = 2


@dataclass(frozen=True)
class Prepared:
    """The anchors (ids, vectors, metadata and texts, in id order) and each item's guidance."""

    fingerprint: str
    anchor_ids: list[str]
    anchor_vectors: np.ndarray
    anchor_metas: list[dict]
    anchor_texts: list[str]
    guidance_per_item: int
    guidance: dict[str, list[tuple[str, str]]]  # item or pitfall id -> (source, text) per chunk
    start_texts: tuple[str, ...] = ()           # texts a starting reviewer embeds, and their vectors
    start_vectors: np.ndarray | None = None


def fingerprint(stored: dict[str, dict[str, str]]) -> str:
    """One hash of what a store holds: each collection's ids and content hashes."""
    canonical = json.dumps({name: sorted(ids.items()) for name, ids in sorted(stored.items())})
    return hashlib.sha256(canonical.encode()).hexdigest()


def item_vectors(vectors: np.ndarray, metas: list[dict]) -> dict[str, np.ndarray]:
    """Each item's mean anchor vector."""
    rows: dict[str, list[int]] = {}
    for k, meta in enumerate(metas):
        rows.setdefault(meta.get("item", ""), []).append(k)
    return {i: vectors[ks].mean(axis=0) for i, ks in rows.items()}


def retrieve_guidance(store: Store, rubric: Rubric, means: dict[str, np.ndarray],
                      n: int) -> dict[str, list[tuple[str, str]]]:
    """Every item's and pitfall's n nearest guidance chunks in its group, its own section first:
    one Chroma query per stage, topic and the pitfalls."""
    groups = [(g.id, [i.id for i in g.items]) for g in (*rubric.stages, *rubric.topics)]
    groups.append(("pitfalls", [p.id for p in rubric.pitfalls]))
    found: dict[str, list[tuple[str, str]]] = {}
    for group_id, ids in groups:
        ids = [i for i in ids if i in means]
        if n == 0 or not ids:
            continue
        hits = store.query(GUIDANCE, np.stack([means[i] for i in ids]), n, where={"group": group_id})
        for item_id, item_hits in zip(ids, hits):
            item_hits.sort(key=lambda h: (h.metadata.get("item") != item_id, h.distance))
            found[item_id] = [(h.metadata.get("source", h.id), h.text) for h in item_hits]
    return found


def start_texts(rubric: Rubric) -> tuple[str, ...]:
    """The texts a starting reviewer embeds besides the anchors: stage and topic titles, aspect anchors."""
    titles = [g.title for g in (*rubric.stages, *rubric.topics)]
    aspects = [a.anchor for item in rubric.items() for a in getattr(item, "aspects", ())]
    return tuple(dict.fromkeys(titles + aspects))


def prepare(store: Store, rubric: Rubric, stamp: str, n: int, embed=None) -> Prepared:
    """Read the anchors and retrieve the guidance from the store, as a starting reviewer would, and
    embed the other texts it starts with (`embed`: the reviewer's embedder)."""
    ids, vectors, metas = store.vectors(ITEMS)
    texts = store.texts(ITEMS, ids)
    extra = start_texts(rubric) if embed is not None else ()
    return Prepared(stamp, ids, vectors, metas, texts, n,
                    retrieve_guidance(store, rubric, item_vectors(vectors, metas), n),
                    extra, embed(list(extra)) if extra else None)


def write_prepared(path: Path, prepared: Prepared) -> None:
    """Write the file (numpy's format without pickles, the rest as JSON), replacing it whole."""
    header = {"format": FORMAT, "fingerprint": prepared.fingerprint, "ids": prepared.anchor_ids,
              "metas": prepared.anchor_metas, "texts": prepared.anchor_texts,
              "guidance_per_item": prepared.guidance_per_item, "guidance": prepared.guidance,
              "start_texts": list(prepared.start_texts)}
    start = prepared.start_vectors if prepared.start_vectors is not None else np.zeros((0, 0), np.float32)
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "wb") as fh:
        np.savez(fh, vectors=prepared.anchor_vectors, start=start, header=np.array(json.dumps(header)))
    partial.replace(path)


def read_prepared(path: Path, stamp: str) -> Prepared | None:
    """The prepared file at path when it was written for this fingerprint; None otherwise."""
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            vectors = data["vectors"]
            start = data["start"]
    except (OSError, ValueError, KeyError):
        return None
    if header.get("format") != FORMAT or header.get("fingerprint") != stamp:
        return None
    guidance = {k: [tuple(g) for g in v] for k, v in header["guidance"].items()}
    return Prepared(stamp, header["ids"], vectors, header["metas"], header["texts"],
                    header["guidance_per_item"], guidance, tuple(header["start_texts"]), start)
