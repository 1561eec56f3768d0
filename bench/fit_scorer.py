"""Fit the local scorer's logistic weights on the labelled dev set, leave-one-document-out.

Prints the cross-validated figures (each document scored by a model that never saw it), picks
the status thresholds on those held-out predictions, then fits on every document and writes
app/scorer_weights.json. Usage: python bench/fit_scorer.py [--C 0.5] [--dry-run]
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from labels import ROOT, gap_figures, load_set, stage_score
from sklearn.linear_model import LogisticRegression

from app.config import get_settings
from app.document import parse_document
from app.scorer import FEATURES, WEIGHTS_FILE, has_evidence
from app.service import build_reviewer


def collect(reviewer, docs):
    """Per document: item ids, feature rows, labels (1 covered), statuses."""
    rows = []
    for d in docs:
        verdicts, _, _ = reviewer.score_document(parse_document(d.text))
        wanted = {i.id for g in reviewer.rubric.stages for i in g.items}
        wanted |= {i.id for g in reviewer.rubric.topics if g.id in d.label.get("topics", []) for i in g.items}
        vs = [v for v in verdicts if v.item in wanted]
        x = np.array([[v.features[f] for f in FEATURES] for v in vs])
        y = np.array([d.status(v.item) == "covered" for v in vs], dtype=int)
        rows.append(([v.item for v in vs], x, y, [d.status(v.item) for v in vs], vs[0].features["bar"]))
    return rows


PRIOR = FEATURES.index("prior")


def priors(rows) -> dict[str, float]:
    """Per item, the smoothed log-odds that a design covers it."""
    covered, total = {}, {}
    for ids, _, y, _, _ in rows:
        for item, label in zip(ids, y):
            covered[item] = covered.get(item, 0) + int(label)
            total[item] = total.get(item, 0) + 1
    return {i: float(np.log((covered[i] + 1) / (total[i] - covered[i] + 1))) for i in total}


def with_priors(rows, table):
    out = []
    for ids, x, y, statuses, bar in rows:
        x = x.copy()
        x[:, PRIOR] = [table.get(i, 0.0) for i in ids]
        out.append((ids, x, y, statuses, bar))
    return out


def fit(x, y, c):
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=2000).fit((x - mean) / std, y)
    return mean, std, model.coef_[0], float(model.intercept_[0])


def predict(params, x):
    mean, std, coef, intercept = params
    return 1 / (1 + np.exp(-(((x - mean) / std) @ coef + intercept)))


def status(p, covered_at, partial_at):
    return "covered" if p >= covered_at else "partial" if p >= partial_at else "missing"


def evaluate(reviewer, docs, rows, probs, covered_at, partial_at):
    truth, pred, errors, perrors = [], [], [], []
    for d, (ids, _, y, _, _), p in zip(docs, rows, probs):
        truth += list(y == 1)
        pred += list(p >= covered_at)
        got = dict(zip(ids, (status(v, covered_at, partial_at) for v in p)))
        prob = dict(zip(ids, p))
        for g in reviewer.rubric.stages:
            want = stage_score(g.items, d.status)
            errors.append(abs(stage_score(g.items, lambda i: got[i]) - want))
            share = sum(prob[i.id] * i.weight for i in g.items) / sum(i.weight for i in g.items)
            perrors.append(abs(share - want))
    return {**gap_figures(truth, pred), "stage_mae": float(np.mean(errors)),
            "stage_mae_prob": float(np.mean(perrors))}


def objective(f: dict) -> float:
    """Agreement first, then stage error, with shortfalls from the gap targets penalised."""
    return (f["kappa"] - f["stage_mae"] - 2 * max(0.0, 0.85 - f["gap_precision"])
            - 2 * max(0.0, 0.80 - f["gap_recall"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=0.5)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    reviewer = build_reviewer(get_settings())
    docs = load_set("dev")
    rows = collect(reviewer, docs)
    probs = []
    for k in range(len(docs)):
        table = priors([r for j, r in enumerate(rows) if j != k])
        fold = with_priors(rows, table)
        train = [r for j, r in enumerate(fold) if j != k]
        params = fit(np.vstack([r[1] for r in train]), np.concatenate([r[2] for r in train]), args.C)
        probs.append(predict(params, fold[k][1]) * has_evidence(fold[k][1], fold[k][4]))
    grid = [(c, p) for c in np.arange(0.3, 0.75, 0.025) for p in np.arange(0.05, 0.5, 0.05) if p < c]
    best = max(grid, key=lambda cp: objective(evaluate(reviewer, docs, rows, probs, *cp)))
    figures = evaluate(reviewer, docs, rows, probs, *best)
    print(f"leave-one-document-out (C={args.C}): covered_at={best[0]:.3f} partial_at={best[1]:.3f}")
    for key, value in figures.items():
        print(f"  {key:14} {value:.3f}")
    table = priors(rows)
    rows = with_priors(rows, table)
    params = fit(np.vstack([r[1] for r in rows]), np.concatenate([r[2] for r in rows]), args.C)
    for name, w in zip(FEATURES, params[2]):
        print(f"  coef {name:10} {w:+.3f}")
    if not args.dry_run:
        WEIGHTS_FILE.write_text(json.dumps({
            "features": list(FEATURES), "mean": params[0].tolist(), "std": params[1].tolist(),
            "coef": params[2].tolist(), "intercept": params[3], "covered_at": float(best[0]),
            "partial_at": float(best[1]), "C": args.C, "fitted_on": "shared/eval/dev",
            "priors": table,
        }, indent=2) + "\n")
        print(f"wrote {WEIGHTS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
