"""Embedding speed: torch fp32 vs ONNX int8 on a ~2,000-word design in ~150 windows (2 threads).

Run: python bench/embed_speed.py [--sentences 'GLOB'] [--runs 7]   (torch: the `train` extra)
Prints the median encode time of each backend and the cosine between their vectors.
"""

from __future__ import annotations

import argparse
import glob
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.document.parse import parse_document  # noqa: E402
from app.embedding.embedder import TorchBackend, model_path  # noqa: E402
from app.embedding.onnx import OnnxBackend, shipped_model  # noqa: E402

SUBJECTS = ["The ranking service", "A nightly Spark job", "The feature store",
            "Our candidate generator", "The API gateway", "A Kafka consumer",
            "The labelling pipeline", "The online model server", "The fraud scorer",
            "An offline evaluation job", "The embedding index", "The cache layer"]
VERBS = ["reads the last 30 days of click events from the warehouse and",
         "calls the user profile service and",
         "retrains a gradient-boosted model every week and",
         "writes daily aggregates to Redis and",
         "scores up to 500 candidates per request within 40 ms at p99 and",
         "logs every impression with its model version and",
         "falls back to the popularity list on timeout and",
         "deduplicates near-identical items by hashing and"]
OBJECTS = ["exposes the result to the mobile client",
           "alerts the on-call engineer when drift exceeds the threshold",
           "keeps the previous model for a one-click rollback",
           "stores features keyed by user id and timestamp",
           "joins labels that arrive up to seven days late",
           "tracks NDCG@10 and calibration per country",
           "shadows the new model before an A/B test on 5% of traffic",
           "limits the cost to about $2,000 per month"]
TAILS = ["", "", "", "", "", " because freshness matters more than coverage here",
         " so that training and serving compute features with the same code",
         " although cold-start users still get the default ranking",
         " which we revisit once we have two weeks of online data"]


def design_text(words: int = 2000, seed: int = 0) -> str:
    """A reproducible design-like markdown text: the example design plus generated sections."""
    rng = random.Random(seed)
    text = (ROOT / "examples" / "recsys_design.md").read_text()
    section = 5
    while len(text.split()) < words:  # ~15 words a window, like a real design
        text += f"\n\n## {section}. Component notes\n\n"
        for _ in range(rng.randint(2, 4)):
            verb = rng.choice(VERBS) + " " if rng.random() < 0.4 else ""
            sentence = f"{rng.choice(SUBJECTS)} {verb}{rng.choice(OBJECTS)}{rng.choice(TAILS)}."
            text += (f"- {sentence}\n" if rng.random() < 0.5 else f"\n{sentence}\n")
        section += 1
    return text


def timed(backend, texts: list[str], runs: int) -> tuple[float, np.ndarray]:
    """Median wall time in ms of encoding texts, and the vectors."""
    vectors = backend.encode(texts)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        backend.encode(texts)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), vectors


def cosines(a: np.ndarray, b: np.ndarray) -> str:
    """Min, 1st percentile and mean of row-wise cosine between two normalised matrices."""
    c = (a * b).sum(axis=1)
    return f"min {c.min():.4f}  p1 {np.percentile(c, 1):.4f}  mean {c.mean():.4f}  (n={len(c)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sentences", default="/work/shared/seed/*.txt",
                        help="glob of text files whose lines give a sentence-level cosine check")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    doc = parse_document(design_text())
    windows = [w.text for w in doc.windows]
    print(f"design: {doc.words} words, {len(windows)} windows, {args.threads} threads, "
          f"median of {args.runs}")
    path = model_path()
    model_file = shipped_model().model_file
    print(f"onnx model: {model_file} ({model_file.stat().st_size / 1e6:.1f} MB)")
    start = time.perf_counter()
    onnx = OnnxBackend.shipped(args.threads)
    print(f"onnx session load {1000 * (time.perf_counter() - start):.0f} ms")
    torch = TorchBackend(path, args.threads)
    t_ms, t_vec = timed(torch, windows, args.runs)
    o_ms, o_vec = timed(onnx, windows, args.runs)
    print(f"torch fp32 {t_ms:7.0f} ms\nonnx int8  {o_ms:7.0f} ms  ({t_ms / o_ms:.1f}x)")
    print(f"windows   cosine onnx-int8 vs torch-fp32: {cosines(o_vec, t_vec)}")
    lines = [l.strip() for f in sorted(glob.glob(args.sentences)) for l in open(f, encoding="utf-8")
             if len(l.split()) >= 3]
    if lines:
        both = cosines(onnx.encode(lines), torch.encode(lines))
        print(f"sentences cosine onnx-int8 vs torch-fp32: {both}")


if __name__ == "__main__":
    main()
