"""The rubric, loaded from the corpus front matter: stages, items, topics and pitfalls."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.knowledge.corpus import CorpusFile
from app.errors import CorpusError


@dataclass(frozen=True)
class Aspect:
    """One part of an item a design can state or leave out (the A/B test's traffic split, its duration)."""

    label: str
    keywords: tuple[str, ...]
    anchor: str   # one sentence, as a design would state this aspect concretely
    ask: str      # the question to ask when the design leaves it out; names nothing of any design


@dataclass(frozen=True)
class Item:
    """One thing a design is expected to cover."""

    id: str
    title: str
    weight: float
    core: bool
    keywords: tuple[str, ...]
    anchors: tuple[str, ...]
    questions: tuple[str, ...]
    group: str  # the stage or topic id it belongs to
    aspects: tuple[Aspect, ...] = ()


@dataclass(frozen=True)
class Group:
    """A stage of the flow or a topic checklist: a titled list of items."""

    id: str
    title: str
    kind: str  # "stage" or "topic"
    weight: float
    order: int
    items: tuple[Item, ...]
    detect: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Pitfall:
    """A known wrong decision that a design can make."""

    id: str
    title: str
    severity: str
    anchors: tuple[str, ...]
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Rubric:
    """Everything the reviewer checks, with a version hash over it."""

    stages: tuple[Group, ...]
    topics: tuple[Group, ...]
    pitfalls: tuple[Pitfall, ...]
    version: str = field(default="")

    def items(self) -> list[Item]:
        return [i for g in (*self.stages, *self.topics) for i in g.items]

    def item(self, item_id: str) -> Item:
        for candidate in self.items():
            if candidate.id == item_id:
                return candidate
        raise KeyError(item_id)

    def group(self, group_id: str) -> Group:
        for g in (*self.stages, *self.topics):
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    def pitfall(self, pitfall_id: str) -> Pitfall:
        return next(p for p in self.pitfalls if p.id == pitfall_id)


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CorpusError(f"{where}: expected a list of strings")
    return tuple(v.strip() for v in value if v.strip())


def _item(raw: dict, group: str, source: str) -> Item:
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id.startswith(f"{group}."):
        raise CorpusError(f"{source}: item id {item_id!r} must start with '{group}.'")
    return Item(
        id=item_id,
        title=str(raw.get("title") or item_id),
        weight=float(raw.get("weight", 1)),
        core=bool(raw.get("core", True)),
        keywords=tuple(k.lower() for k in _strings(raw.get("keywords"), f"{source} {item_id} keywords")),
        anchors=_strings(raw.get("anchors"), f"{source} {item_id} anchors"),
        questions=_strings(raw.get("questions"), f"{source} {item_id} questions"),
        group=group,
        aspects=tuple(_aspect(a, f"{source} {item_id} aspects") for a in raw.get("aspects") or []),
    )


def _aspect(raw: object, where: str) -> Aspect:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) for k in ("label", "anchor", "ask")):
        raise CorpusError(f"{where}: an aspect needs label, anchor and ask (strings) and keywords (a list)")
    return Aspect(label=raw["label"].strip(), anchor=raw["anchor"].strip(), ask=raw["ask"].strip(),
                  keywords=tuple(k.lower() for k in _strings(raw.get("keywords"), f"{where} keywords")))


def _group(f: CorpusFile) -> Group:
    meta = f.meta
    gid = str(meta.get("id") or "")
    if not gid:
        raise CorpusError(f"{f.source}: front matter has no id")
    items = tuple(_item(raw, gid, f.source) for raw in meta.get("items") or [])
    if not items:
        raise CorpusError(f"{f.source}: {gid} defines no items")
    return Group(
        id=gid,
        title=str(meta.get("title") or gid),
        kind=str(meta["kind"]),
        weight=float(meta.get("weight", 1)),
        order=int(meta.get("order", 0)),
        items=items,
        detect=tuple(d.lower() for d in _strings(meta.get("detect"), f"{f.source} detect")),
        source=f.source,
    )


def _pitfalls(f: CorpusFile) -> list[Pitfall]:
    out = []
    for raw in f.meta.get("pitfalls") or []:
        severity = str(raw.get("severity", "warning"))
        if severity not in {"critical", "warning", "info"}:
            raise CorpusError(f"{f.source}: {raw.get('id')} has unknown severity {severity!r}")
        out.append(Pitfall(
            id=str(raw["id"]), title=str(raw.get("title") or raw["id"]), severity=severity,
            anchors=_strings(raw.get("anchors"), f"{f.source} anchors"),
            questions=_strings(raw.get("questions"), f"{f.source} questions"),
        ))
    return out


def build_rubric(files: list[CorpusFile]) -> Rubric:
    """Assemble the rubric from parsed corpus files and check that every id is unique."""
    stages, topics, pitfalls = [], [], []
    for f in files:
        kind = f.meta.get("kind")
        if kind == "stage":
            stages.append(_group(f))
        elif kind == "topic":
            topics.append(_group(f))
        elif kind == "pitfalls":
            pitfalls.extend(_pitfalls(f))
    stages.sort(key=lambda g: g.order)
    ids = [i.id for g in (*stages, *topics) for i in g.items] + [p.id for p in pitfalls]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CorpusError(f"ids defined twice in the corpus: {', '.join(dupes)}")
    if not stages:
        raise CorpusError("the corpus defines no stage")
    rubric = Rubric(tuple(stages), tuple(topics), tuple(pitfalls))
    blob = json.dumps(asdict(rubric), sort_keys=True).encode()
    return Rubric(rubric.stages, rubric.topics, rubric.pitfalls, hashlib.sha256(blob).hexdigest()[:12])
