"""The local scorer: reads every passage of a design against every rubric item, deterministically.

Two small learned models, fitted by `python training/fit.py` on labelled design documents and
kept in app/scoring/weights.json:

1. The passage model: for each (window, item) pair, P(the window states what this design does
   about the item), from features of the pair (app/scoring/passages.py).
2. The item model: covered / partial / missing for each item, from length-invariant summaries of
   its passages' probabilities (the best, the mean of the best three, whether the design has a
   section for the item's stage). No feature grows with the number of lines, and a line repeated
   counts once, so padding a design moves nothing.

The evidence of an item is the passage that best supports it, as a third model ranks the passages
of a document (fitted on which window of a covered item's labelled evidence a design states it in).
The passage features include each item's prototypes: the mean direction of the windows labelled as
supporting it, and of those judged unrelated to it, in the training designs (app/scoring/prototypes.npz,
its sha256 kept in weights.json: means over many documents, no text).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.document.parse import Document
from app.knowledge.rubric import Item
from app.scoring.passages import CUES, PAIR_FEATURES, Passages

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
PROTOTYPES_FILE = Path(__file__).with_name("prototypes.npz")
STAGE_GROUPS = ("problem", "metrics", "architecture", "data", "features", "modeling", "serving",
                "deployment", "operations", "deep_dive")
ITEM_FEATURES = ("p1", "p2", "p3", "m1", "n_support", "best_subst", "best_kw", "home", "named",
                 "prior", "rich", "n_03", "n_07", "mass", "m_count", "spec_subst", "spec_digits", "spec_decision",
                 *(f"in_{g}" for g in STAGE_GROUPS), *(f"p3_{g}" for g in STAGE_GROUPS))
RICH_AT = 0.5  # a window supports some item at least this much: it is about the design's ML
SUPPORT_KEPT = 0.2  # a verdict keeps the windows that support its item at least this much


@dataclass(frozen=True)
class Verdict:
    """The scorer's decision on one item, with the windows that support it."""

    item: str
    probability: float
    credit: float
    status: str
    windows: tuple[int, ...]
    features: dict[str, float]
    # the document's windows that support the item at least SUPPORT_KEPT, with how much
    support: dict[int, float] = field(default_factory=dict)


@dataclass
class Linear:
    """A linear model over standardised features: logistic (one output) or softmax (several)."""

    mean: np.ndarray
    std: np.ndarray
    coef: np.ndarray       # outputs x features
    intercept: np.ndarray  # outputs

    @classmethod
    def from_json(cls, raw: dict) -> "Linear":
        return cls(np.array(raw["mean"]), np.array(raw["std"]), np.atleast_2d(np.array(raw["coef"])),
                   np.atleast_1d(np.array(raw["intercept"])))

    def to_json(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept.tolist()}

    def logits(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std) @ self.coef.T + self.intercept

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(positive) per row of a one-output model."""
        return 1.0 / (1.0 + np.exp(-self.logits(x)[..., 0]))

    def softmax(self, x: np.ndarray) -> np.ndarray:
        z = self.logits(x)
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


@dataclass
class ScorerModel:
    """The fitted passage and item models, the item priors and the status thresholds."""

    support: Linear     # P(window supports item)
    mention: Linear     # P(window at least mentions item)
    item: Linear        # missing / partial / covered
    priors: dict[str, float]
    covered_at: float
    partial_at: float
    applies: Linear | None = None   # P(a missing, non-core item does not fit this problem)
    na_priors: dict[str, float] | None = None
    na_at: float = 0.5
    evidence: Linear | None = None  # ranks a document's windows as evidence: PAIR_FEATURES + CUES, support
    prototypes: dict[str, tuple[np.ndarray, np.ndarray]] | None = None  # item -> (positive, negative)

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE, prototypes: Path = PROTOTYPES_FILE) -> "ScorerModel":
        raw = json.loads(path.read_text())
        if tuple(raw.get("pair_features", ())) != PAIR_FEATURES + CUES or \
                tuple(raw.get("item_features", ())) != ITEM_FEATURES:
            raise ValueError(f"{path} was fitted for other features; run `python training/fit.py`")
        applies = Linear.from_json(raw["applies"]) if raw.get("applies") else None
        evidence = Linear.from_json(raw["evidence"]) if raw.get("evidence") else None
        return cls(Linear.from_json(raw["support"]), Linear.from_json(raw["mention"]),
                   Linear.from_json(raw["item"]), dict(raw["priors"]), float(raw["covered_at"]),
                   float(raw["partial_at"]), applies, dict(raw.get("na_priors", {})),
                   float(raw.get("na_at", 0.5)), evidence, load_prototypes(prototypes, raw.get("prototypes_sha256")))

    def to_json(self) -> dict:
        return {"pair_features": list(PAIR_FEATURES + CUES), "item_features": list(ITEM_FEATURES),
                "support": self.support.to_json(), "mention": self.mention.to_json(),
                "item": self.item.to_json(), "priors": self.priors,
                "covered_at": self.covered_at, "partial_at": self.partial_at,
                "applies": self.applies.to_json() if self.applies else None,
                "na_priors": self.na_priors or {}, "na_at": self.na_at,
                "evidence": self.evidence.to_json() if self.evidence else None}

    def prototype_matrix(self, item_ids: list[str], dims: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(positive, negative), items x dims in this order of item ids; zero rows for items without any."""
        if not self.prototypes:
            return None
        zero = np.zeros(dims, dtype=np.float32)
        rows = [self.prototypes.get(i, (zero, zero)) for i in item_ids]
        return (np.stack([r[0] for r in rows]).astype(np.float32),
                np.stack([r[1] for r in rows]).astype(np.float32))

    def evidence_rank(self, passages: Passages, support: np.ndarray) -> np.ndarray | None:
        """unique windows x items: how well each window states the item, to choose the evidence."""
        if self.evidence is None or not len(passages.index):
            return None
        x = np.concatenate([passages.flat(), support.reshape(-1, 1)], axis=1)
        return self.evidence.logits(x)[:, 0].reshape(passages.shape)

    def not_applicable(self, feats: np.ndarray, items: list[Item]) -> np.ndarray:
        """items: P(the item does not fit this design's problem); 0 for core items."""
        if self.applies is None:
            return np.zeros(len(items))
        na = np.array([(self.na_priors or {}).get(i.id, -4.0) for i in items])
        p = self.applies.probability(np.column_stack([feats, na]))
        return np.where([i.core for i in items], 0.0, p)


def save_prototypes(prototypes: dict[str, tuple[np.ndarray, np.ndarray]], path: Path = PROTOTYPES_FILE) -> str:
    """Write the prototypes (float32, compressed); returns the file's sha256 for weights.json."""
    ids = sorted(prototypes)
    with path.open("wb") as f:
        np.savez_compressed(f, items=np.array(ids), positive=np.stack([prototypes[i][0] for i in ids]).astype(np.float32),
                            negative=np.stack([prototypes[i][1] for i in ids]).astype(np.float32))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_prototypes(path: Path, sha256: str | None) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """The prototypes the weights were fitted with; None where the weights use none."""
    if sha256 is None:
        return None
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise ValueError(f"{path} is missing or not the one {WEIGHTS_FILE.name} was fitted with; "
                         "run `python training/fit.py`")
    with np.load(path) as data:
        return {str(i): (p, n) for i, p, n in zip(data["items"], data["positive"], data["negative"])}


def stage_of(items: list[Item]) -> np.ndarray:
    """items x STAGE_GROUPS: which stage each item belongs to (topic items: none)."""
    return np.array([[i.group == g for g in STAGE_GROUPS] for i in items], dtype=np.float64)


def item_features(passages: Passages, support: np.ndarray, mention: np.ndarray,
                  priors: np.ndarray, stages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """items x ITEM_FEATURES from the passage probabilities (unique windows x items), and each
    item's best window (an index into the unique windows, -1 when there is none)."""
    n_items = support.shape[1]
    rows = np.zeros((n_items, len(ITEM_FEATURES)))
    rows[:, ITEM_FEATURES.index("prior")] = priors
    body = ~passages.is_heading
    if not body.any():
        rows[:, ITEM_FEATURES.index("home")] = passages.home
        k0 = ITEM_FEATURES.index("in_problem")
        rows[:, k0:k0 + len(STAGE_GROUPS)] = stages
        return rows, np.full(n_items, -1)
    s = np.where(body[:, None], support, 0.0)
    m = np.where(body[:, None], mention, 0.0)
    top = -np.sort(-s, axis=0)
    k = min(3, top.shape[0])
    best = np.argmax(s, axis=0)
    idx = np.arange(n_items)
    rows[:, 0] = top[0]
    rows[:, 1] = top[: min(2, k)].mean(axis=0)
    rows[:, 2] = top[:k].mean(axis=0)
    rows[:, 3] = m.max(axis=0)
    rows[:, 4] = np.minimum((s >= 0.5).sum(axis=0), 3) / 3.0
    rows[:, 5] = passages.subst[best]
    rows[:, 6] = passages.pair[best, idx, PAIR_FEATURES.index("kw")]
    rows[:, 7] = passages.home
    rows[:, 8] = passages.named
    # How much of the design is about ML decisions at all: distinct windows that support some item.
    # Saturating, and blind to repeated lines and to text about nothing in the rubric.
    rows[:, 10] = np.log1p((s.max(axis=1) >= RICH_AT).sum()) / np.log(200.0)
    # How much the design says about the item: distinct windows that support it, and their words.
    rows[:, 11] = np.log1p((s >= 0.3).sum(axis=0)) / np.log(30.0)
    rows[:, 12] = np.log1p((s >= 0.7).sum(axis=0)) / np.log(30.0)
    tokens = passages.cues[:, CUES.index("tokens")][:, None]
    rows[:, 13] = np.log1p(((s >= 0.5) * np.expm1(tokens * 5.0)).sum(axis=0)) / np.log(1000.0)
    rows[:, 14] = np.log1p((m >= 0.5).sum(axis=0)) / np.log(30.0)
    # How specific what the design says about the item is: the substance, numbers and first-person
    # decisions of the windows that support it, weighted by how much they do.
    cues = passages.cues
    for name, col in (("spec_subst", CUES.index("subst")), ("spec_digits", CUES.index("digits")),
                      ("spec_decision", CUES.index("decision"))):
        rows[:, ITEM_FEATURES.index(name)] = (s * cues[:, [col]]).max(axis=0)
    # Each stage reads its evidence on its own scale: the item's stage, and its best three there.
    k0 = ITEM_FEATURES.index("in_problem")
    rows[:, k0:k0 + len(STAGE_GROUPS)] = stages
    rows[:, k0 + len(STAGE_GROUPS):] = stages * rows[:, [2]]
    return rows, best


class LocalScorer:
    """Scores every item of a list against a document's windows."""

    def __init__(self, items: list[Item], anchor_vectors: np.ndarray, anchor_items: list[str],
                 model: ScorerModel | None, item_texts: dict[str, str] | None = None,
                 group_vectors: dict[str, np.ndarray] | None = None) -> None:
        from app.scoring.passages import PairContext

        self.items = items
        self.model = model
        dims = anchor_vectors.shape[1] if anchor_vectors.ndim == 2 else 384
        self.context = PairContext(items, anchor_vectors, anchor_items, item_texts or {}, group_vectors or {},
                                   model.prototype_matrix([i.id for i in items], dims) if model else None)
        self._priors = np.array([model.priors.get(i.id, 0.0) for i in items]) if model else np.zeros(len(items))
        self._stages = stage_of(items)

    def similarity(self, window_vectors: np.ndarray) -> np.ndarray:
        """windows x items: each window's best cosine to any anchor of the item."""
        return self.context.similarity(window_vectors)

    def keyword_hits(self, texts: list[str]) -> list[list[set[str]]]:
        """For each item, for each window, the distinct keywords it contains."""
        return self.context.keywords.hits(texts)

    def passages(self, doc: Document, window_vectors: np.ndarray, subst: np.ndarray) -> Passages:
        return self.context.passages(doc, window_vectors, subst)

    def score(self, doc: Document, window_vectors: np.ndarray, subst: np.ndarray) -> list[Verdict]:
        """A verdict for every item, with the windows that best support it."""
        passages = self.passages(doc, window_vectors, subst)
        if self.model is None:  # unfitted: the closest passage, as a probability
            support = mention = np.clip(passages.pair[..., 0], 0, 1)
        else:
            x = passages.flat()
            support = self.model.support.probability(x).reshape(passages.shape)
            mention = self.model.mention.probability(x).reshape(passages.shape)
        feats, best = item_features(passages, support, mention, self._priors, self._stages)
        rank = self.model.evidence_rank(passages, support) if self.model else None
        if self.model is None:
            probs = np.clip(feats[:, 0], 0, 1)
            credits, covered_at, partial_at = probs, 0.6, 0.3
        else:
            dist = self.model.item.softmax(feats)
            probs, credits = dist[:, 2], dist[:, 2] + 0.5 * dist[:, 1]
            covered_at, partial_at = self.model.covered_at, self.model.partial_at
        na = self.model.not_applicable(feats, self.items) if self.model else np.zeros(len(self.items))
        na_at = self.model.na_at if self.model else 1.0
        verdicts = []
        for j, item in enumerate(self.items):
            p, credit = float(probs[j]), float(credits[j])
            status = "covered" if p >= covered_at else "partial" if credit >= partial_at else "missing"
            if status == "missing" and na[j] >= na_at:
                status = "not_applicable"
            windows = passages.evidence(support[:, j], int(best[j]), None if rank is None else rank[:, j]) \
                if status in ("covered", "partial") else ()
            kept = np.flatnonzero(support[:, j] >= SUPPORT_KEPT) if len(passages.index) else ()
            verdicts.append(Verdict(item.id, p, credit, status, windows,
                                    dict(zip(ITEM_FEATURES, map(float, feats[j]))),
                                    {passages.index[r]: float(support[r, j]) for r in kept}))
        return verdicts
