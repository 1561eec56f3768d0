"""Ingest: corpus -> chunks -> embeddings -> Chroma, idempotent by content hash."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Callable

from app.knowledge.corpus import CorpusFile, Section
from app.knowledge.loader import Knowledge
from app.knowledge.rubric import Rubric
from app.knowledge.chroma import GUIDANCE, ITEMS, Store

MAX_CHUNK_WORDS = 180


@dataclass(frozen=True)
class Chunk:
    """A piece of text to store, with its id and metadata."""

    id: str
    text: str
    metadata: dict


@dataclass(frozen=True)
class IngestReport:
    """What one ingest run changed."""

    added: int
    updated: int
    removed: int
    unchanged: int
    seconds: float

    def summary(self) -> str:
        return (f"ingest: {self.added} added, {self.updated} updated, {self.removed} removed, "
                f"{self.unchanged} unchanged in {self.seconds:.2f}s")


def _pieces(text: str) -> list[str]:
    """Cut a section into paragraph-aligned pieces the model reads whole (256 tokens)."""
    pieces, current = [], []
    for para in text.split("\n\n"):
        if current and len(" ".join(current + [para]).split()) > MAX_CHUNK_WORDS:
            pieces.append("\n\n".join(current))
            current = []
        current.append(para)
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def _owner(section: Section, f: CorpusFile) -> dict:
    kind = str(f.meta.get("kind"))
    group = str(f.meta.get("id") or kind)
    item = section.anchor if section.anchor != group else ""
    return {"kind": kind, "group": group, "item": item}


def guidance_chunks(files: list[CorpusFile]) -> list[Chunk]:
    """Every corpus section as one or more chunks, with stage/topic, item, source and heading."""
    chunks = []
    for f in files:
        for section in f.sections:
            for n, piece in enumerate(_pieces(section.text)):
                head = section.heading or str(f.meta.get("title", ""))
                meta = {**_owner(section, f), "source": section.ref, "heading": head}
                chunks.append(Chunk(f"{section.ref}~{n}", f"{head}\n{piece}".strip(), meta))
    return chunks


def item_chunks(rubric: Rubric) -> list[Chunk]:
    """The rubric's anchors: each item's title and the sentences that state it concretely."""
    chunks = []
    for group in (*rubric.stages, *rubric.topics):
        for item in group.items:
            texts = [item.title, *item.anchors]
            for n, text in enumerate(texts):
                meta = {"kind": group.kind, "group": group.id, "item": item.id,
                        "role": "title" if n == 0 else "anchor"}
                chunks.append(Chunk(f"{item.id}#{n}", text, meta))
    for pitfall in rubric.pitfalls:
        for n, text in enumerate(pitfall.anchors):
            chunks.append(Chunk(f"{pitfall.id}#{n}", text,
                                {"kind": "pitfall", "group": "pitfalls", "item": pitfall.id,
                                 "role": "anchor"}))
    return chunks


def _fingerprint(chunk: Chunk, model: str) -> str:
    return hashlib.sha256(f"{model}\n{chunk.text}\n{sorted(chunk.metadata.items())}".encode()).hexdigest()


def sync_collection(store: Store, name: str, chunks: list[Chunk], model: str,
                    embed: Callable[[list[str]], object], progress: bool) -> tuple[int, int, int, int]:
    """Make a collection hold exactly these chunks; embed only new or changed ones."""
    existing = store.fingerprints(name)
    wanted = {c.id: (c, _fingerprint(c, model)) for c in chunks}
    todo = [(c, fp) for c, fp in wanted.values() if existing.get(c.id) != fp]
    stale = [i for i in existing if i not in wanted]
    batches = [todo[i : i + 64] for i in range(0, len(todo), 64)]
    if progress and batches:
        from tqdm import tqdm
        batches = tqdm(batches, desc=f"embedding {name}", unit="batch")
    for batch in batches:
        vectors = embed([c.text for c, _ in batch])
        store.upsert(name, [c.id for c, _ in batch], vectors, [c.text for c, _ in batch],
                     [{**c.metadata, "sha256": fp} for c, fp in batch])
    store.delete(name, stale)
    added = sum(1 for c, _ in todo if c.id not in existing)
    return added, len(todo) - added, len(stale), len(chunks) - len(todo)


def expected_fingerprints(knowledge: Knowledge, model: str) -> dict[str, dict[str, str]]:
    """What ingest leaves in each collection: every chunk's id and content hash."""
    return {name: {c.id: _fingerprint(c, model) for c in chunks}
            for name, chunks in ((GUIDANCE, guidance_chunks(list(knowledge.files))),
                                 (ITEMS, item_chunks(knowledge.rubric)))}


def store_is_current(knowledge: Knowledge, store: Store, model: str) -> bool:
    """Whether the store holds exactly this corpus embedded by this model (what ingest would leave)."""
    return all(store.fingerprints(name) == wanted
               for name, wanted in expected_fingerprints(knowledge, model).items())


def run_ingest(knowledge: Knowledge, store: Store, embedder_factory: Callable, model: str,
               progress: bool = True) -> IngestReport:
    """Bring the store in line with the corpus; the embedder loads only if needed."""
    started = time.perf_counter()
    files, rubric = list(knowledge.files), knowledge.rubric
    loaded: dict = {}

    def embed(texts: list[str]):
        if "e" not in loaded:
            loaded["e"] = embedder_factory()
        return loaded["e"].embed(texts)

    totals = [0, 0, 0, 0]
    for name, chunks in ((GUIDANCE, guidance_chunks(files)), (ITEMS, item_chunks(rubric))):
        for k, v in enumerate(sync_collection(store, name, chunks, model, embed, progress)):
            totals[k] += v
    return IngestReport(*totals, seconds=time.perf_counter() - started)
