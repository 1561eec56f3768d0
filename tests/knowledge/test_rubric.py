"""The rubric loaded from corpus/ against the id contract in shared/spec/checklist.yaml."""

from __future__ import annotations

import pytest
import yaml

from app.knowledge.corpus import read_corpus
from app.errors import CorpusError
from app.knowledge.loader import load_knowledge
from helpers import REPO

CHECKLIST = REPO.parent / "shared" / "spec" / "checklist.yaml"


@pytest.fixture(scope="module")
def rubric(corpus_snapshot):
    """The rubric of corpus/, read from the session's snapshot of it."""
    return load_knowledge(corpus_snapshot).rubric


@pytest.fixture(scope="module")
def checklist() -> dict:
    if not CHECKLIST.is_file():
        pytest.skip(f"{CHECKLIST} is absent")
    return yaml.safe_load(CHECKLIST.read_text(encoding="utf-8"))


def _spec_items(groups: list[dict]) -> dict[str, dict]:
    return {item["id"]: item for g in groups for item in g["items"]}


def test_stage_ids_match_checklist_in_flow_order(rubric, checklist):
    assert [g.id for g in rubric.stages] == [s["id"] for s in checklist["stages"]]


def test_stage_item_ids_match_checklist(rubric, checklist):
    for spec in checklist["stages"]:
        group = rubric.group(spec["id"])
        assert {i.id for i in group.items} == {i["id"] for i in spec["items"]}, spec["id"]


def test_topic_ids_and_topic_item_ids_match_checklist(rubric, checklist):
    assert {g.id for g in rubric.topics} == {t["id"] for t in checklist["topics"]}
    for spec in checklist["topics"]:
        group = rubric.group(spec["id"])
        assert group.kind == "topic"
        assert {i.id for i in group.items} == {i["id"] for i in spec["items"]}, spec["id"]


def test_pitfall_ids_match_checklist(rubric, checklist):
    assert {p.id for p in rubric.pitfalls} == {p["id"] for p in checklist["pitfalls"]}


def test_item_weights_match_checklist(rubric, checklist):
    spec = _spec_items(checklist["stages"] + checklist["topics"])
    wrong = {i.id: (i.weight, spec[i.id].get("weight", 1)) for i in rubric.items()
             if i.id in spec and i.weight != float(spec[i.id].get("weight", 1))}
    assert wrong == {}


def test_every_item_has_questions_and_anchors(rubric):
    bare = [i.id for i in rubric.items() if not i.questions or not i.anchors]
    assert bare == []
    assert all(q.strip() for i in rubric.items() for q in i.questions)


def test_every_pitfall_has_anchors_questions_and_a_known_severity(rubric):
    for pitfall in rubric.pitfalls:
        assert pitfall.anchors and pitfall.questions, pitfall.id
        assert pitfall.severity in {"critical", "warning"}, pitfall.id


def test_every_id_has_its_own_body_section(corpus_snapshot, rubric):
    """Ingest cuts the body at `## Title {#id}` headings: each id needs one to get guidance."""
    files = read_corpus(corpus_snapshot)
    anchors = {s.anchor for f in files for s in f.sections}
    wanted = {i.id for i in rubric.items()} | {p.id for p in rubric.pitfalls}
    assert wanted - anchors == set()


def test_rubric_version_is_stable_and_changes_with_the_rubric(tmp_path):
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "01_problem.md").write_text(_stage_file("problem", ["problem.scope"]))
    first = load_knowledge(tmp_path).rubric.version
    assert load_knowledge(tmp_path).rubric.version == first
    (tmp_path / "stages" / "01_problem.md").write_text(
        _stage_file("problem", ["problem.scope", "problem.scale"]))
    assert load_knowledge(tmp_path).rubric.version != first


def _stage_file(stage: str, item_ids: list[str], order: int = 1) -> str:
    items = "\n".join(
        f"  - id: {i}\n    title: {i}\n    anchors: [\"We state {i} concretely.\"]\n"
        f"    questions: [\"What about {i}?\"]" for i in item_ids)
    return f"---\nkind: stage\nid: {stage}\ntitle: {stage}\norder: {order}\nitems:\n{items}\n---\n\nBody.\n"


def test_duplicate_item_id_raises_corpus_error(tmp_path):
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "01_problem.md").write_text(_stage_file("problem", ["problem.scope"]))
    (tmp_path / "stages" / "01b_problem.md").write_text(
        _stage_file("problem", ["problem.scale", "problem.scope"], order=2))
    with pytest.raises(CorpusError, match=r"problem\.scope"):
        load_knowledge(tmp_path).rubric


def test_duplicate_pitfall_id_raises_corpus_error(tmp_path):
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "01_problem.md").write_text(_stage_file("problem", ["problem.scope"]))
    entry = "  - {id: pitfall.leak, title: Leak, severity: critical, anchors: [x], questions: [y]}"
    (tmp_path / "pitfalls.md").write_text(f"---\nkind: pitfalls\npitfalls:\n{entry}\n{entry}\n---\n")
    with pytest.raises(CorpusError, match=r"pitfall\.leak"):
        load_knowledge(tmp_path).rubric


def test_item_outside_its_stage_raises_corpus_error(tmp_path):
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "01_problem.md").write_text(_stage_file("problem", ["metrics.online"]))
    with pytest.raises(CorpusError, match="must start with 'problem.'"):
        load_knowledge(tmp_path).rubric


def test_file_without_front_matter_raises_corpus_error(tmp_path):
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "01_problem.md").write_text("# Problem\n\nNo front matter here.\n")
    with pytest.raises(CorpusError, match="front matter"):
        load_knowledge(tmp_path).rubric


def test_an_installed_wheel_reads_the_corpus_it_carries(tmp_path, monkeypatch):
    import sys

    from app import config

    installed = tmp_path / "prefix" / "share" / "design-reviewer" / "corpus"
    installed.mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    assert config.default_corpus_dir() == config.PROJECT_ROOT / "corpus"  # a checkout: its own
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path / "site-packages")
    assert config.default_corpus_dir() == installed
    assert config.get_settings().corpus_dir == installed
