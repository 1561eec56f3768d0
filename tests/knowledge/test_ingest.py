"""Ingest: a temp copy of corpus/ into a temp Chroma store, idempotent by content hash."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from app.config import get_settings
from app.knowledge.loader import load_knowledge
from app.review.build import ingest, store_for
from app.knowledge.chroma import GUIDANCE, ITEMS


PREFIX = "design_review"


def private_settings(root: Path, corpus_snapshot: Path):
    """Settings over a private corpus copy and an empty store under root."""
    corpus = root / "corpus"
    shutil.copytree(corpus_snapshot, corpus)
    return get_settings(store_path=root / "chroma", corpus_dir=corpus)


@pytest.fixture
def fresh(tmp_path, corpus_snapshot, ingested):
    """A private corpus and empty store (the session ingest has already loaded the model)."""
    return private_settings(tmp_path, corpus_snapshot)


@pytest.fixture(scope="module")
def twice(tmp_path_factory, corpus_snapshot, ingested):
    """A private corpus ingested twice into an empty store: (settings, first report, second report)."""
    settings = private_settings(tmp_path_factory.mktemp("twice"), corpus_snapshot)
    return settings, ingest(settings, progress=False), ingest(settings, progress=False)


def chroma_records(store_path: Path, name: str) -> dict[str, dict]:
    """id -> metadata of a collection, read with Chroma's own client."""
    client = chromadb.PersistentClient(path=str(store_path),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    got = client.get_collection(f"{PREFIX}_{name}").get(include=["metadatas"])
    return dict(zip(got["ids"], got["metadatas"]))


def counts(settings) -> tuple[int, int]:
    store = store_for(settings)
    return store.count(GUIDANCE), store.count(ITEMS)


def test_first_run_adds_every_chunk(twice):
    settings, first, _ = twice
    assert first.added > 0
    assert (first.updated, first.removed, first.unchanged) == (0, 0, 0)
    assert sum(counts(settings)) == first.added


def test_second_run_changes_nothing_and_is_fast(twice):
    settings, first, second = twice
    assert (second.added, second.updated, second.removed) == (0, 0, 0)
    assert second.unchanged == first.added
    assert second.seconds < 10, f"a no-op ingest took {second.seconds:.1f}s"
    assert sum(counts(settings)) == first.added


def _append_to_section(path: Path, item_id: str, sentence: str) -> None:
    """Add a sentence to the last paragraph of the body section headed `## ... {#item_id}`."""
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next(n for n, line in enumerate(lines) if line.startswith("## ") and f"{{#{item_id}}}" in line)
    end = next((n for n in range(start + 1, len(lines)) if lines[n].startswith("## ")), len(lines))
    last = max(n for n in range(start + 1, end) if lines[n].strip())
    lines[last] += f" {sentence}"
    path.write_text("\n".join(lines), encoding="utf-8")


def test_editing_one_section_reembeds_only_that_sections_chunks(fresh):
    first = ingest(fresh, progress=False)
    before = {name: chroma_records(fresh.store_path, name) for name in (GUIDANCE, ITEMS)}
    _append_to_section(fresh.corpus_dir / "stages" / "02_metrics.md", "metrics.online",
                       "Weekly listeners count too.")

    report = ingest(fresh, progress=False)

    changed = report.added + report.updated
    assert 0 < report.updated <= 2 and report.added <= 1 and report.removed == 0
    assert report.unchanged == first.added - report.updated
    after = {name: chroma_records(fresh.store_path, name) for name in (GUIDANCE, ITEMS)}
    assert after[ITEMS] == before[ITEMS], "the front matter did not change"
    touched = {i for i, meta in after[GUIDANCE].items()
               if before[GUIDANCE].get(i, {}).get("sha256") != meta["sha256"]}
    assert len(touched) == changed
    assert {after[GUIDANCE][i]["source"] for i in touched} == {"corpus/stages/02_metrics.md#metrics.online"}


def test_deleting_a_file_removes_its_chunks(fresh):
    ingest(fresh, progress=False)
    guidance, items = chroma_records(fresh.store_path, GUIDANCE), chroma_records(fresh.store_path, ITEMS)
    vision = ([i for i, m in guidance.items() if m["source"].startswith("corpus/topics/vision.md#")]
              + [i for i, m in items.items() if m["group"] == "vision"])
    assert vision
    (fresh.corpus_dir / "topics" / "vision.md").unlink()

    report = ingest(fresh, progress=False)

    assert report.removed == len(vision)
    assert (report.added, report.updated) == (0, 0)
    assert sum(counts(fresh)) == len(guidance) + len(items) - len(vision)
    left = chroma_records(fresh.store_path, GUIDANCE)
    assert not any(m["source"].startswith("corpus/topics/vision.md") for m in left.values())


def test_guidance_chunks_carry_group_item_source_and_heading(settings, ingested):
    rubric = load_knowledge(settings.corpus_dir).rubric
    groups = {g.id for g in (*rubric.stages, *rubric.topics)} | {"pitfalls"}
    ids = {i.id for i in rubric.items()} | {p.id for p in rubric.pitfalls}
    records = chroma_records(settings.store_path, GUIDANCE)
    assert records
    for chunk_id, meta in records.items():
        assert meta["group"] in groups, chunk_id
        assert meta["item"] == "" or meta["item"] in ids, chunk_id
        assert meta["item"] == "" or meta["item"].startswith(meta["group"] + ".") or meta["group"] == "pitfalls"
        assert re.fullmatch(r"corpus/[a-z_/0-9]+\.md#[a-z_.]+", meta["source"]), meta["source"]
        assert meta["heading"].strip(), chunk_id
        assert len(meta["sha256"]) == 64
    assert ids <= {m["item"] for m in records.values()}, "every id has guidance"


def test_rubric_item_chunks_cover_every_anchor(settings, ingested):
    rubric = load_knowledge(settings.corpus_dir).rubric
    records = chroma_records(settings.store_path, ITEMS)
    per_item: dict[str, int] = {}
    for meta in records.values():
        per_item[meta["item"]] = per_item.get(meta["item"], 0) + 1
    for item in rubric.items():
        assert per_item.get(item.id) == len(item.anchors) + 1, item.id  # the title plus each anchor
        assert item.group in {m["group"] for m in records.values() if m["item"] == item.id}
    for pitfall in rubric.pitfalls:
        assert per_item.get(pitfall.id) == len(pitfall.anchors), pitfall.id


def test_session_ingest_reported_what_it_stored(settings, ingested):
    assert ingested.added == sum(counts(settings)) and ingested.unchanged == 0
