"""Words: stemmed keyword matching and TF-IDF text similarity between windows and rubric items."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

_TOKEN = re.compile(r"[a-z][a-z0-9\-]+|\d+")
_KW_TOKEN = re.compile(r"[a-z0-9]+")


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


class ItemTerms:
    """TF-IDF over the items' corpus texts: each window's lexical closeness to each item."""

    def __init__(self, texts: list[str]) -> None:
        self._tfidf = TfidfVectorizer(sublinear_tf=True, analyzer=analyze)
        self._terms = self._tfidf.fit_transform(texts).T.tocsc()
        self._n = len(texts)

    def similarity(self, texts: list[str]) -> np.ndarray:
        """windows x items: TF-IDF cosine between each window and each item's text."""
        if not texts:
            return np.zeros((0, self._n))
        return (self._tfidf.transform(texts) @ self._terms).toarray()
