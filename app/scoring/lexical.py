"""Words: stemmed keyword matching and TF-IDF text similarity between windows and rubric items.

The TF-IDF is scikit-learn's `TfidfVectorizer(sublinear_tf=True)` (smooth idf, l2 rows) written in
numpy, with the same operations in the same order, so its numbers are the same to the last bit
(tests/scoring/test_lexical.py compares them where scikit-learn is installed): the scorer's weights
were fitted on them, and importing scikit-learn cost a review 1.4-2.5 s of start-up.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np

_TOKEN = re.compile(r"[a-z][a-z0-9\-]+|\d+")
_KW_TOKEN = re.compile(r"[a-z0-9]+")
# scikit-learn's ENGLISH_STOP_WORDS (from the Glasgow Information Retrieval Group's list).
ENGLISH_STOP_WORDS = frozenset("""
a about above across after afterwards again against all almost alone along already also although
always am among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere
are around as at back be became because become becomes becoming been before beforehand behind
being below beside besides between beyond bill both bottom but by call can cannot cant co con
could couldnt cry de describe detail do done down due during each eg eight either eleven else
elsewhere empty enough etc even ever every everyone everything everywhere except few fifteen fifty
fill find fire first five for former formerly forty found four from front full further get give go
had has hasnt have he hence her here hereafter hereby herein hereupon hers herself him himself his
how however hundred i ie if in inc indeed interest into is it its itself keep last latter latterly
least less ltd made many may me meanwhile might mill mine more moreover most mostly move much must
my myself name namely neither never nevertheless next nine no nobody none noone nor not nothing
now nowhere of off often on once one only onto or other others otherwise our ours ourselves out
over own part per perhaps please put rather re same see seem seemed seeming seems serious several
she should show side since sincere six sixty so some somehow someone something sometime sometimes
somewhere still such system take ten than that the their them themselves then thence there
thereafter thereby therefore therein thereupon these they thick thin third this those though three
through throughout thru thus to together too top toward towards twelve twenty two un under until
up upon us very via was we well were what whatever when whence whenever where whereafter whereas
whereby wherein whereupon wherever whether which while whither who whoever whole whom whose why
will with within without would yet you your yours yourself yourselves
""".split())


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
        self._n = len(texts)
        # Terms are numbered in order of first appearance (scikit-learn sums each item's squares in
        # that order), then renumbered alphabetically (the order of each window's terms).
        seen: dict[str, int] = {}
        rows = []
        for text in texts:
            counts: dict[int, int] = {}
            for term in analyze(text):
                j = seen.setdefault(term, len(seen))
                counts[j] = counts.get(j, 0) + 1
            rows.append(sorted(counts.items()))
        alphabetical = sorted(seen)
        self._vocabulary = {term: j for j, term in enumerate(alphabetical)}
        renumber = np.array([self._vocabulary[t] for t in seen], dtype=np.int64)
        df = np.zeros(len(seen), dtype=np.float64)
        for row in rows:
            df[renumber[[j for j, _ in row]]] += 1.0
        df += 1.0  # smooth idf: as if one more document held every term once
        self._idf = np.full_like(df, fill_value=self._n + 1, dtype=np.float64)
        self._idf /= df
        np.log(self._idf, out=self._idf)
        self._idf += 1.0
        # Each term's nonzero items and weights, the items in increasing order.
        items: list[list[int]] = [[] for _ in seen]
        weights: list[list[float]] = [[] for _ in seen]
        for k, row in enumerate(rows):
            terms = renumber[[j for j, _ in row]]
            for j, w in zip(terms, _weigh([c for _, c in row], self._idf[terms])):
                items[j].append(k)
                weights[j].append(w)
        self._items = [np.array(i, dtype=np.int64) for i in items]
        self._weights = [np.array(w, dtype=np.float64) for w in weights]

    def similarity(self, texts: list[str]) -> np.ndarray:
        """windows x items: TF-IDF cosine between each window and each item's text."""
        out = np.zeros((len(texts), self._n))
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for term in analyze(text):
                j = self._vocabulary.get(term)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            terms = sorted(counts)
            if not terms:
                continue
            index = np.array(terms, dtype=np.int64)
            # The sparse product's order: each term's contribution added in increasing term order.
            for j, w in zip(terms, _weigh([counts[j] for j in terms], self._idf[index])):
                out[row, self._items[j]] += w * self._weights[j]
        return out


def _weigh(counts: list[int], idf: np.ndarray) -> list[float]:
    """One text's TF-IDF weights: 1 + log(count) times idf, divided by the row's l2 norm, whose
    squares are summed one by one in the given order (as scikit-learn's normalize does)."""
    tf = np.array(counts, dtype=np.float64)
    np.log(tf, out=tf)
    tf += 1.0
    tf *= idf
    total = 0.0
    for v in tf.tolist():
        total += v * v
    if total == 0.0:
        return tf.tolist()
    return (tf / math.sqrt(total)).tolist()
