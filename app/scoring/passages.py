"""Passages read against items: the features of every (window, item) pair of a document.

A window is a sentence, bullet, table row or heading. Its features against an item say how close
it is to the item's anchors (the corpus sentences that state the item concretely), how much more
it is about this item than about any other, whether it names the item's keywords, whether its
section is about the item's stage, and what kind of statement it is (a decision with a number, a
general definition, a question, a placeholder), and how close it is to the windows that labelled
designs wrote about the item (its prototypes, fitted by training/fit.py). Windows with the same text
count once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from app.document.parse import Document
from app.knowledge.rubric import Item
from app.scoring.lexical import ItemTerms, KeywordIndex
from app.scoring.substance import is_definition

PAIR_FEATURES = ("sim", "sim_margin", "share", "lex", "lex_margin", "kw", "sec_sim", "sec_stage",
                 "sim_subst", "kw_subst", "label_lex", "label_kw",
                 *(f"proto{s}" for s in ("", "_margin", "_contrast", "_subst")))
EVIDENCE_MORE = 2     # windows cited beside the best one, at most
EVIDENCE_ALSO = 0.4   # ... each supporting the item at least this much
PROTO_FEATURES = 4  # the last PAIR_FEATURES: from the prototypes (zero where there are none)
CUES = ("subst", "heading", "list_item", "table_row", "code", "paragraph", "digits", "decision",
        "definition", "question", "placeholder", "tokens")
SOFTMAX_T = 0.05

_NORMAL = re.compile(r"[\W_]+")
_DECISION = re.compile(
    r"\b(?:we|our|we'll|we've|i|i'd|i'll|will|shall|chose|choose|chosen|pick|picked|adopt|"
    r"adopted|use|uses|used|using|plan|planned|target|set to|decided|go with)\b", re.I)
_PLACEHOLDER = re.compile(r"\b(?:tbd|tbc|todo|to be (?:decided|determined|defined|added)|fixme|xxx)\b", re.I)


def normal(text: str) -> str:
    """A window's text as duplicates are recognised: lower case, punctuation and spacing folded."""
    return _NORMAL.sub(" ", text.lower()).strip()


def unique_windows(doc: Document) -> list[int]:
    """The index of the first window of each distinct text (blank windows left out)."""
    seen: set[str] = set()
    out = []
    for k, w in enumerate(doc.windows):
        key = normal(w.text)
        if key and key not in seen:
            seen.add(key)
            out.append(k)
    return out


def window_cues(doc: Document, index: list[int], subst: np.ndarray) -> np.ndarray:
    """unique windows x CUES."""
    rows = np.zeros((len(index), len(CUES)), dtype=np.float32)
    for r, k in enumerate(index):
        w = doc.windows[k]
        text = w.text
        rows[r] = (subst[k], w.kind == "heading", w.kind == "list_item", w.kind == "table_row",
                   w.kind == "code", w.kind == "paragraph", bool(re.search(r"\d", text)),
                   bool(_DECISION.search(text)), is_definition(text), text.rstrip().endswith("?"),
                   bool(_PLACEHOLDER.search(text)), min(np.log1p(len(text.split())), 5.0) / 5.0)
    return rows


def _margin(m: np.ndarray) -> np.ndarray:
    """Each value minus the largest other value in its row: how much more about this item."""
    if m.shape[1] < 2:
        return m.copy()
    top2 = np.sort(m, axis=1)[:, -2:]
    other = np.where(m >= top2[:, [1]], top2[:, [0]], top2[:, [1]])
    return m - other


def _softmax(m: np.ndarray) -> np.ndarray:
    z = np.exp((m - m.max(axis=1, keepdims=True)) / SOFTMAX_T)
    return z / z.sum(axis=1, keepdims=True)


def prototype_features(vectors: np.ndarray, subst: np.ndarray, positive: np.ndarray,
                       negative: np.ndarray) -> np.ndarray:
    """windows x items x PROTO_FEATURES: each window's closeness to the item's positive prototype
    (the mean direction of windows labelled as supporting it), that minus its closeness to the
    closest other item's, minus its closeness to the negative prototype (windows judged unrelated
    though they share the item's words), and the closeness weighted by the window's substance."""
    pc = vectors @ positive.T
    nc = (vectors @ negative.T) * (np.abs(negative).sum(axis=1) > 0)
    return np.stack([pc, _margin(pc), pc - nc, pc * subst[:, None]], axis=2).astype(np.float32)


_LABEL = re.compile(r"^\W*([A-Za-z][\w &/()-]{1,40}?)\s*[:\u2014\u2013]\s+\S")


def inline_label(text: str) -> str:
    """The label a terse line starts with ("Data: NYC taxi trips ...", "Retrain: monthly"), at most
    four words: a local heading. "" when the line has none."""
    m = _LABEL.match(text)
    return m.group(1) if m and len(m.group(1).split()) <= 4 else ""


@dataclass
class Passages:
    """One document's unique windows read against every item."""

    index: list[int]        # unique window -> the document's window index
    pair: np.ndarray        # unique windows x items x PAIR_FEATURES
    cues: np.ndarray        # unique windows x CUES
    subst: np.ndarray       # unique windows
    is_heading: np.ndarray  # unique windows (bool)
    home: np.ndarray        # items: how well the document's best heading fits the item's stage
    named: np.ndarray       # items: how close the document's best heading is to the item

    @property
    def shape(self) -> tuple[int, int]:
        return self.pair.shape[0], self.pair.shape[1]

    def flat(self) -> np.ndarray:
        """(unique windows x items) x (PAIR_FEATURES + CUES), for the passage models."""
        u, n = self.shape
        cues = np.broadcast_to(self.cues[:, None, :], (u, n, self.cues.shape[1]))
        return np.concatenate([self.pair, cues], axis=2).reshape(u * n, self.pair.shape[2] + self.cues.shape[1])

    def evidence(self, support: np.ndarray, best: int, rank: np.ndarray | None = None) -> tuple[int, ...]:
        """The passage that best supports the item: the window ranked first (by `rank`, the evidence
        model's score, where there is one), and up to EVIDENCE_MORE more of the next ranked windows
        that support it at least EVIDENCE_ALSO (a decision is often stated over a few lines)."""
        if best < 0 or len(support) == 0:
            return ()
        said = ~(self.is_heading | (self.subst <= 0))
        if not said.any():  # nothing substantive: what the design has on it (a label, a bare mention)
            said = ~self.is_heading
        order = np.argsort(-np.where(said, support if rank is None else rank, -np.inf))
        keep = [int(order[0])] + [int(o) for o in order[1:1 + 2 * EVIDENCE_MORE]
                                  if said[o] and support[o] >= EVIDENCE_ALSO][:EVIDENCE_MORE]
        return tuple(sorted(self.index[o] for o in keep))


class PairContext:
    """What the pair features need from the rubric: anchors, keywords, item texts, stage titles."""

    def __init__(self, items: list[Item], anchor_vectors: np.ndarray, anchor_items: list[str],
                 item_texts: dict[str, str], group_vectors: dict[str, np.ndarray],
                 prototypes: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.items = items
        self.prototypes = prototypes  # (positive, negative), items x dims, in the order of `items`
        index = {item.id: k for k, item in enumerate(items)}
        owner = np.array([index.get(a, -1) for a in anchor_items])
        order = np.argsort(owner, kind="stable")
        order = order[owner[order] >= 0]
        self._anchors = anchor_vectors[order] if len(order) else np.zeros((0, 384), dtype=np.float32)
        self._owner = owner[order]
        self._owners = np.unique(self._owner)
        self._starts = np.searchsorted(self._owner, self._owners)
        self.keywords = KeywordIndex([i.keywords for i in items])
        self.terms = ItemTerms([" ".join([i.title, *i.keywords, *i.anchors, item_texts.get(i.id, "")])
                                for i in items])
        dims = self._anchors.shape[1] if len(self._anchors) else 384
        self._groups = np.stack([group_vectors.get(i.group, np.zeros(dims, dtype=np.float32)) for i in items])

    def similarity(self, vectors: np.ndarray) -> np.ndarray:
        """windows x items: each window's best cosine to any anchor of the item."""
        out = np.full((len(vectors), len(self.items)), -1.0, dtype=np.float32)
        if len(vectors) and len(self._owners):
            sims = vectors @ self._anchors.T
            out[:, self._owners] = np.maximum.reduceat(sims, self._starts, axis=1)
        return out

    def passages(self, doc: Document, vectors: np.ndarray, subst: np.ndarray) -> Passages:
        index = unique_windows(doc)
        n = len(self.items)
        if not index:
            empty = np.zeros((0, n, len(PAIR_FEATURES)), dtype=np.float32)
            return Passages([], empty, np.zeros((0, len(CUES)), dtype=np.float32), np.zeros(0),
                            np.zeros(0, dtype=bool), np.zeros(n), np.zeros(n))
        vec = vectors[index]
        texts = [doc.windows[k].text for k in index]
        sim = self.similarity(vec)
        lex = self.terms.similarity(texts).astype(np.float32)
        hits = self.keywords.hits(texts)
        kw = np.array([[min(len(h), 2) for h in per_item] for per_item in hits], dtype=np.float32).T / 2.0
        heading = np.array([doc.windows[k].kind == "heading" for k in index])
        head_of = self._section_heads(doc, index)
        stage = vec @ self._groups.T  # window x item: closeness to the item's stage title
        has_head = head_of >= 0
        sec_sim = np.where(has_head[:, None], sim[np.maximum(head_of, 0)], 0.0)
        sec_stage = np.where(has_head[:, None], stage[np.maximum(head_of, 0)], 0.0)
        s = subst[index].astype(np.float32)
        label_lex, label_kw = self._labels(texts)
        proto = prototype_features(vec, s, *self.prototypes) if self.prototypes is not None else \
            np.zeros((len(index), n, PROTO_FEATURES), dtype=np.float32)
        pair = np.concatenate([np.stack([sim, _margin(sim), _softmax(sim), lex, _margin(lex), kw, sec_sim,
                                         sec_stage, sim * s[:, None], kw * s[:, None], label_lex, label_kw],
                                        axis=2), proto],
                              axis=2).astype(np.float32)
        home = stage[heading].max(axis=0) if heading.any() else np.zeros(n)
        named = sim[heading].max(axis=0) if heading.any() else np.zeros(n)
        return Passages(index, pair, window_cues(doc, index, subst), s, heading, home, named)

    def _labels(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """windows x items: how close the label a terse line starts with ("Retrain: monthly with
        new trips") is to the item, lexically, and whether it names the item's keywords. Terse
        notes carry their structure in such labels rather than in headings."""
        n = len(self.items)
        lex = np.zeros((len(texts), n), dtype=np.float32)
        kw = np.zeros((len(texts), n), dtype=np.float32)
        labels = [inline_label(t) for t in texts]
        which = [r for r, label in enumerate(labels) if label]
        if which:
            chosen = [labels[r] for r in which]
            lex[which] = self.terms.similarity(chosen)
            hits = self.keywords.hits(chosen)
            kw[which] = np.array([[min(len(h), 1) for h in per_item] for per_item in hits], dtype=np.float32).T
        return lex, kw

    @staticmethod
    def _section_heads(doc: Document, index: list[int]) -> np.ndarray:
        """For each unique window, the unique-window position of its section's heading (-1: none)."""
        position = {k: r for r, k in enumerate(index)}
        by_text = {normal(doc.windows[k].text): r for r, k in enumerate(index)}
        current, heads = -1, {}
        for k, w in enumerate(doc.windows):
            if w.kind == "heading":
                current = position.get(k, by_text.get(normal(w.text), -1))
            heads[k] = current
        return np.array([heads[k] for k in index])
