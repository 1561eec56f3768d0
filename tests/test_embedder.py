"""The embedder over the packaged model: what it embeds, and that a text's vector is its own."""

from __future__ import annotations

import numpy as np

from app.embedder import DIMENSIONS, Embedder, condense

TEXTS = [
    "We split by event time: the last two weeks are the test set, never shuffled.",
    "Precision at 1% recall is the offline metric because fraud is one event in a thousand.",
    "TBD",
    "The model serves behind a feature store that logs every feature at prediction time, so "
    "training reads exactly what serving saw and a retrained model can be replayed offline "
    "against a month of logged requests before it takes any traffic.",
]


def test_condense_drops_function_words_and_keeps_negations_and_terms():
    out = condense("We do not use a random split; the A/B test reads p99 latency < 200 ms.").split()
    assert {"we", "do", "a", "the"}.isdisjoint(w.lower() for w in out)
    assert {"not", "random", "split", "A/B", "p99", "200", "ms"} <= set(out)
    assert condense("...") == "..."  # nothing but punctuation: kept as it is


def test_vectors_are_unit_length(reviewer):
    vectors = reviewer.embedder.backend.encode([condense(t) for t in TEXTS])
    assert vectors.shape == (len(TEXTS), DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_texts_vector_does_not_depend_on_the_texts_embedded_with_it(reviewer):
    fresh = Embedder(reviewer.embedder.backend, cache_size=0)
    alone = np.stack([fresh.embed([t])[0] for t in TEXTS])
    together = fresh.embed(TEXTS[::-1])[::-1]
    assert np.array_equal(alone, together)


def test_related_texts_are_closer_than_unrelated_ones(reviewer):
    a, b, c = reviewer.embedder.embed([
        "We hold out the most recent weeks as the test set instead of a random split.",
        "The evaluation split is by time: training on older data, testing on the newest weeks.",
        "Thumbnails are resized to 224 pixels before the image classifier runs.",
    ])
    assert float(a @ b) > float(a @ c) + 0.2
