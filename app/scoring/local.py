"""The local scorer: deterministic coverage verdicts from embeddings and lexical evidence.

For every rubric item it reads each window of the document against the item's anchors (the
corpus sentences that state the item concretely) and keywords, keeps only windows with
substance, and combines a few per-item features with a logistic model whose weights live in
app/scoring/weights.json (fitted by bench/fit_scorer.py, leave-one-document-out).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from app.document.parse import Document
from app.knowledge.rubric import Item

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
SUBSTANTIVE = 0.5
# A design that fills its template with placeholders ("TBD", "standard", "will be done") earns
# credit only for concrete statements: past this share of placeholder lines, the bar rises.
PLACEHOLDER_SHARE = 0.10
STRICT_SUBSTANTIVE = 0.9
# Covered or partial needs evidence of its own: a keyword in a substantive window, or a window
# close to the item's anchors. A likely item (a high prior) with no such window stays missing.
EVIDENCE_SIM = 0.4
STRICT_EVIDENCE_SIM = 0.7
# An item only named (in a buzzword list, under a "TBD" heading) is at most partial: its credit is
# capped here. An item neither backed nor named earns nothing.
NAMED_ONLY_CREDIT = 0.5
FEATURES = ("s_best", "s_any", "s_top3", "n_strong", "kw_sub", "kw_weak", "margin", "z_best",
            "sub_best", "tf_best", "p_best", "tf_share", "prior", "kw_sim", "kw_win")
_PRIOR = FEATURES.index("prior")
_Z_BEST = FEATURES.index("z_best")
SOFTMAX_T = 0.05
_TOKEN = re.compile(r"[a-z][a-z0-9\-]+|\d+")
_KW_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Verdict:
    """The scorer's decision on one item, with the windows that support it."""

    item: str
    probability: float
    credit: float
    status: str
    windows: tuple[int, ...]
    features: dict[str, float]


class KeywordIndex:
    """All items' keywords as stemmed token sequences: one pass per window finds every item's terms."""

    MAX_TERM = 5

    def __init__(self, keyword_lists: list[tuple[str, ...]]) -> None:
        self._owners: dict[tuple[str, ...], list[int]] = {}
        for j, keywords in enumerate(keyword_lists):
            for k in keywords:
                term = stem_tokens(k)
                if term and len(term) <= self.MAX_TERM and j not in self._owners.get(term, []):
                    self._owners.setdefault(term, []).append(j)
        self._n = len(keyword_lists)

    def hits(self, texts: list[str]) -> list[list[set[str]]]:
        """For each item, for each window, the distinct keywords it contains."""
        none: frozenset[str] = frozenset()  # shared by every window without hits: most of them
        out: list[list] = [[none] * len(texts) for _ in range(self._n)]
        for w, text in enumerate(texts):
            tokens = stem_tokens(text)
            for n in range(1, self.MAX_TERM + 1):
                for i in range(len(tokens) - n + 1):
                    gram = tokens[i : i + n]
                    for j in self._owners.get(gram, ()):
                        if out[j][w] is none:
                            out[j][w] = set()
                        out[j][w].add(" ".join(gram))
        return out


@lru_cache(maxsize=65536)
def stem_tokens(text: str) -> tuple[str, ...]:
    """Lower-cased, stemmed word tokens: 'A/B-tested models' -> ('a', 'b', 'test', 'model')."""
    return tuple(stem(t) for t in _KW_TOKEN.findall(text.lower()))


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """A light suffix stripper, so 'caches', 'cached' and 'caching' meet 'cache'."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ers", "er", "es", "ed", "ly", "e", "s"):
        if len(token) > len(suffix) + 2 and token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def analyze(text: str) -> list[str]:
    """Lower-cased, stemmed word unigrams and bigrams, stop words dropped, for TF-IDF."""
    words = [stem(w) for w in _TOKEN.findall(text.lower()) if w not in ENGLISH_STOP_WORDS]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


@dataclass
class ScorerModel:
    """Feature standardisation, logistic weights and status thresholds."""

    mean: np.ndarray
    std: np.ndarray
    coef: np.ndarray
    intercept: float
    covered_at: float
    partial_at: float
    priors: dict[str, float]
    credit_coef: np.ndarray
    credit_intercept: np.ndarray

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> "ScorerModel":
        raw = json.loads(path.read_text())
        names = raw["features"]
        if tuple(names) != FEATURES:
            raise ValueError(f"{path}: features {names} do not match the scorer's {FEATURES}")
        return cls(np.array(raw["mean"]), np.array(raw["std"]), np.array(raw["coef"]),
                   float(raw["intercept"]), float(raw["covered_at"]), float(raw["partial_at"]),
                   dict(raw.get("priors", {})), np.array(raw["credit_coef"]),
                   np.array(raw["credit_intercept"]))

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(covered) per row."""
        z = ((x - self.mean) / self.std) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def credit(self, x: np.ndarray) -> np.ndarray:
        """Expected credit per row: P(covered) + P(partial) / 2 from the three-class model."""
        logits = ((x - self.mean) / self.std) @ self.credit_coef.T + self.credit_intercept
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        e /= e.sum(axis=1, keepdims=True)
        return e[:, 2] + 0.5 * e[:, 1]


def substance_bar(doc: Document, subst: np.ndarray) -> float:
    """How much substance a window needs to count as evidence in this document."""
    body = np.array([w.kind != "heading" for w in doc.windows], dtype=bool)
    if body.sum() == 0:
        return SUBSTANTIVE
    placeholders = float((subst[body] == 0).mean())
    return STRICT_SUBSTANTIVE if placeholders >= PLACEHOLDER_SHARE else SUBSTANTIVE


def gate(feats: np.ndarray, bar: float, probs: np.ndarray, credits: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """P(covered) and expected credit after the evidence rule: covered needs evidence of its own;
    a named-only item keeps at most NAMED_ONLY_CREDIT; an item never mentioned gets zero."""
    feats = np.atleast_2d(feats)
    sim_needed = STRICT_EVIDENCE_SIM if bar >= STRICT_SUBSTANTIVE else EVIDENCE_SIM
    # Evidence of its own: a keyword in a substantive window, or a close anchor match.
    evidence = (feats[:, FEATURES.index("kw_sub")] > 0) | (feats[:, FEATURES.index("s_best")] >= sim_needed)
    named = feats[:, FEATURES.index("kw_weak")] > 0
    capped = np.where(named, np.minimum(credits, NAMED_ONLY_CREDIT), 0.0)
    return np.where(evidence, probs, 0.0), np.where(evidence, credits, capped)


def _softmax(m: np.ndarray) -> np.ndarray:
    """Per window, how much more it is about one item than about the others."""
    z = np.exp((m - m.max(axis=1, keepdims=True)) / SOFTMAX_T)
    return z / z.sum(axis=1, keepdims=True)


class LocalScorer:
    """Scores every item of a list against a document's windows."""

    def __init__(self, items: list[Item], anchor_vectors: np.ndarray, anchor_items: list[str],
                 model: ScorerModel | None, item_texts: dict[str, str] | None = None) -> None:

        self.items = items
        texts = [" ".join([i.title, *i.keywords, *i.anchors, (item_texts or {}).get(i.id, "")])
                 for i in items]
        self._tfidf = TfidfVectorizer(sublinear_tf=True, analyzer=analyze)
        self._item_terms = self._tfidf.fit_transform(texts).T.tocsc()
        index = {item.id: k for k, item in enumerate(items)}
        self._anchor_item = np.array([index.get(a, -1) for a in anchor_items])
        # Anchors sorted by item, so one reduceat takes every item's best anchor at once.
        order = np.argsort(self._anchor_item, kind="stable")
        order = order[self._anchor_item[order] >= 0]
        self._anchors = anchor_vectors[order]
        self._anchor_item = self._anchor_item[order]
        self._owners = np.unique(self._anchor_item)
        self._starts = np.searchsorted(self._anchor_item, self._owners)
        self._keywords = KeywordIndex([i.keywords for i in items])
        self.model = model

    def similarity(self, window_vectors: np.ndarray) -> np.ndarray:
        """windows x items: each window's best cosine to any anchor of the item."""
        if len(window_vectors) == 0:
            return np.zeros((0, len(self.items)), dtype=np.float32)
        sims = window_vectors @ self._anchors.T
        out = np.full((len(window_vectors), len(self.items)), -1.0, dtype=np.float32)
        out[:, self._owners] = np.maximum.reduceat(sims, self._starts, axis=1)
        return out

    def keyword_hits(self, texts: list[str]) -> list[list[set[str]]]:
        """For each item, for each window, the distinct keywords it contains."""
        return self._keywords.hits(texts)

    def lexical(self, texts: list[str]) -> np.ndarray:
        """windows x items: TF-IDF cosine between each window and each item's corpus text."""
        if not texts:
            return np.zeros((0, len(self.items)))
        return (self._tfidf.transform(texts) @ self._item_terms).toarray()

    def features(self, sim: np.ndarray, subst: np.ndarray, hits: list[list[set[str]]],
                 lex: np.ndarray, bar: float, found: np.ndarray) -> np.ndarray:
        """items x FEATURES for one document; `found`: items x windows, keywords found (<= 2)."""
        n_items = len(self.items)
        rows = np.zeros((n_items, len(FEATURES)), dtype=np.float64)
        if self.model:
            rows[:, _PRIOR] = [self.model.priors.get(i.id, 0.0) for i in self.items]
        if sim.shape[0] == 0:
            return rows
        good = subst >= bar
        g = good.astype(np.float64)[:, None]
        share = _softmax(sim) * g
        lex_share = _softmax(lex) * g
        weighted = sim * np.clip(subst, 0, 1)[:, None]
        others = np.sort(sim, axis=1)
        idx = np.arange(n_items)
        s_good = np.where(good[:, None], sim, 0.0)
        best = np.argmax(s_good, axis=0)  # per item, its closest substantive window
        at_best, top = sim[best, idx], others[best, -1]
        second = np.where(top == at_best, others[best, -2], top) if n_items > 1 else 0.0
        named = found.T > 0
        with_kw = good[:, None] & named
        kw_good, kw_weak = np.zeros(n_items), np.zeros(n_items)
        for j in np.flatnonzero(named.any(axis=0)):  # keyword sets only where a keyword is
            windows = np.flatnonzero(named[:, j])
            strong = set().union(*(hits[j][w] for w in windows if good[w]))
            kw_good[j] = len(strong)
            kw_weak[j] = len(set().union(*(hits[j][w] for w in windows)) - strong)
        rows[:, 0] = s_good[best, idx]
        rows[:, 1] = sim.max(axis=0)
        rows[:, 2] = np.sort(weighted, axis=0)[-3:].mean(axis=0)
        rows[:, 3] = np.log1p((s_good >= 0.55).sum(axis=0))
        rows[:, 4], rows[:, 5] = np.log1p(kw_good), np.log1p(kw_weak)
        rows[:, 6] = at_best - second
        rows[:, 8] = subst[best]
        rows[:, 9] = (lex * g).max(axis=0)
        rows[:, 10] = share.max(axis=0)
        rows[:, 11] = lex_share.sum(axis=0)
        rows[:, 13] = np.where(with_kw, sim, -np.inf).max(axis=0, initial=-np.inf)
        rows[:, 13] = np.where(with_kw.any(axis=0), rows[:, 13], 0.0)
        rows[:, 14] = np.log1p(with_kw.sum(axis=0))
        best_col = rows[:, 0]
        rows[:, _Z_BEST] = (best_col - best_col.mean()) / (best_col.std() + 1e-6)
        return rows

    def score(self, doc: Document, window_vectors: np.ndarray, subst: np.ndarray) -> list[Verdict]:
        """A verdict for every item, with up to three supporting windows."""
        sim = self.similarity(window_vectors)
        texts = [w.text for w in doc.windows]
        hits = self.keyword_hits(texts)
        found = np.array([[min(len(h), 2) for h in per_item] for per_item in hits], dtype=np.float64)
        bar = substance_bar(doc, subst)
        feats = self.features(sim, subst, hits, self.lexical(texts), bar, found)
        probs = self.model.probability(feats) if self.model else np.clip(feats[:, 0], 0, 1)
        credits = self.model.credit(feats) if self.model else probs
        probs, credits = gate(feats, bar, probs, credits)
        verdicts = []
        for j, item in enumerate(self.items):
            p, credit = float(probs[j]), float(credits[j])
            status = self._status(p, credit)
            verdicts.append(Verdict(item.id, p, credit, status, self._evidence(sim[:, j], subst, found[j]),
                                    {**dict(zip(FEATURES, map(float, feats[j]))), "bar": bar}))
        return verdicts

    def _status(self, p: float, credit: float) -> str:
        """Covered by the binary model; otherwise partial when the expected credit is high enough."""
        covered_at = self.model.covered_at if self.model else 0.6
        partial_at = self.model.partial_at if self.model else 0.3
        return "covered" if p >= covered_at else "partial" if credit >= partial_at else "missing"

    @staticmethod
    def _evidence(col: np.ndarray, subst: np.ndarray, found: np.ndarray) -> tuple[int, ...]:
        """The windows that back an item: close to it, substantive, naming its keywords (<= 2 count)."""
        if len(col) == 0:
            return ()
        score = col * np.where(subst >= SUBSTANTIVE, 1.0, 0.6) + 0.1 * found
        order = np.argsort(-score)[:3]
        top = score[order[0]]
        return tuple(int(w) for w in order if score[w] >= top - 0.08)
