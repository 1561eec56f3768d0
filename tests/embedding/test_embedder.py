"""The embedder over the packaged model: what it embeds, and that a text's vector is its own."""

from __future__ import annotations

import numpy as np

from app.embedding.embedder import DIMENSIONS, Embedder, condense

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


# The embedding process (app/embedding/worker.py), as the server runs it.

def _worker(settings):
    from app.embedding.embedder import load_backend
    return load_backend(settings.embedding_backend, 2, in_process=False)


def test_the_embedding_process_gives_the_same_vectors_bit_for_bit(reviewer, settings):
    worker = _worker(settings)
    try:
        texts = [condense(t) for t in TEXTS]
        assert np.array_equal(worker.encode(texts), reviewer.embedder.backend.encode(texts))
        assert worker.encode([]).shape == (0, DIMENSIONS)
    finally:
        worker.close()


def test_a_dead_embedding_process_is_started_again(settings):
    import os
    import signal

    worker = _worker(settings)
    try:
        before = worker.encode([TEXTS[0]])
        first = worker.pid
        os.kill(first, signal.SIGKILL)
        os.waitpid(first, 0)
        again = worker.encode([TEXTS[0]])  # the call that finds it dead starts a new one
        assert worker.pid != first
        assert np.array_equal(before, again)
    finally:
        worker.close()


def test_the_embedding_process_answers_a_bad_request_with_an_error_and_goes_on(settings):
    import subprocess
    import sys

    from app.embedding.worker import read_frame, write_frame
    from app.embedding.onnx import shipped_model

    model = shipped_model()
    args = [str(model.model_file), str(model.tokenizer_file), str(model.max_length), "1"]
    child = subprocess.Popen([sys.executable, "-m", "app.embedding.worker", *args],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        write_frame(child.stdin, b"not json")
        reply = read_frame(child.stdout)
        assert reply[:1] == b"e" and b"JSONDecodeError" in reply
        write_frame(child.stdin, b'["the model is retrained weekly"]')
        reply = read_frame(child.stdout)
        assert reply[:1] == b"v" and len(reply) == 1 + 4 * DIMENSIONS
    finally:
        child.stdin.close()
        assert child.wait(timeout=30) == 0  # stdin closed: the child ends by itself


def test_an_embedding_process_that_cannot_load_the_model_fails_at_start_with_a_clear_error(tmp_path):
    import pytest

    from app.embedding.worker import WorkerBackend
    from app.errors import DependencyError

    with pytest.raises(DependencyError, match="embedding process ended twice without answering"):
        WorkerBackend(tmp_path / "missing.onnx", tmp_path / "tokenizer.json", 256, 1, DIMENSIONS)


# The shipped model (app/embedding/model/): checked before it loads.

def test_the_shipped_model_is_checked_against_its_checksum(tmp_path):
    import shutil

    import pytest

    from app.embedding.onnx import CONFIG_FILE, FILE_NAME, FOLDER, TOKENIZER_FILE, shipped_model
    from app.errors import DependencyError

    model = shipped_model()
    assert model.dimensions == DIMENSIONS and model.max_length == 256
    for name in (CONFIG_FILE, TOKENIZER_FILE):
        shutil.copy(FOLDER / name, tmp_path / name)
    (tmp_path / FILE_NAME).write_bytes((FOLDER / FILE_NAME).read_bytes()[:-1] + b"\0")
    with pytest.raises(DependencyError, match="does not match the checksum"):
        shipped_model(tmp_path)
    with pytest.raises(DependencyError, match="no embedding model"):
        shipped_model(tmp_path / "absent")
