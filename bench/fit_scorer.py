"""Fit the local scorer's logistic weights on the labelled dev set, leave-one-document-out.

Prints the cross-validated figures (each document scored by a model that never saw it), picks
the status thresholds on those held-out predictions, then fits on every document and writes
app/scoring/weights.json. Usage: python bench/fit_scorer.py [--C 0.5] [--dry-run]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from labels import ROOT, gap_figures, load_set, stage_score
from sklearn.linear_model import LogisticRegression

from app.review import reviewer as reviewer_module
from app.config import get_settings
from app.document.parse import parse_document
from app.scoring.local import FEATURES, WEIGHTS_FILE, ScorerModel, gate
from app.review.build import build_reviewer


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
# An item that is not covered is partial when its expected credit reaches this.
PARTIAL_CREDIT = 0.3


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


CREDIT_CLASS = {"missing": 0, "partial": 1, "covered": 2}


def fit(rows, c):
    """The covered-vs-not model and the three-class credit model, on shared standardisation."""
    x = np.vstack([r[1] for r in rows])
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / std
    binary = LogisticRegression(C=c, max_iter=2000).fit(z, np.concatenate([r[2] for r in rows]))
    classes = np.concatenate([[CREDIT_CLASS[s] for s in r[3]] for r in rows])
    credit = LogisticRegression(C=c, max_iter=3000).fit(z, classes)
    return ScorerModel(mean, std, binary.coef_[0], float(binary.intercept_[0]), covered_at=0.0,
                       partial_at=PARTIAL_CREDIT, priors={}, credit_coef=credit.coef_,
                       credit_intercept=credit.intercept_)


def predict(model: ScorerModel, row):
    """Held-out probability of covered and expected credit, both gated by evidence."""
    return gate(row[1], row[4], model.probability(row[1]), model.credit(row[1]))


def evaluate(reviewer, docs, rows, held_out, covered_at):
    truth, pred, errors = [], [], []
    for d, (ids, _, y, _, _), (p, credit) in zip(docs, rows, held_out):
        truth += list(y == 1)
        pred += list(p >= covered_at)
        expected = dict(zip(ids, credit))
        for g in reviewer.rubric.stages:
            share = sum(expected[i.id] * i.weight for i in g.items) / sum(i.weight for i in g.items)
            errors.append(abs(share - stage_score(g.items, d.status)))
    return {**gap_figures(truth, pred), "stage_mae": float(np.mean(errors))}


def objective(f: dict) -> float:
    """Agreement first, then stage error, with shortfalls from the gap targets penalised."""
    return (f["kappa"] - f["stage_mae"] - 2 * max(0.0, 0.85 - f["gap_precision"])
            - 2 * max(0.0, 0.80 - f["gap_recall"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--C", type=float, default=0.5)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--dump", help="write the held-out probabilities to this JSON file")
    args = parser.parse_args()
    reviewer_module.WEIGHTS_FILE = Path("/nonexistent")  # features come unweighted while fitting
    reviewer = build_reviewer(get_settings())
    docs = load_set("dev")
    rows = collect(reviewer, docs)
    held_out = []
    for k in range(len(docs)):
        fold = with_priors(rows, priors([r for j, r in enumerate(rows) if j != k]))
        params = fit([r for j, r in enumerate(fold) if j != k], args.C)
        held_out.append(predict(params, fold[k]))
    covered_at = max(np.arange(0.3, 0.75, 0.025),
                     key=lambda c: objective(evaluate(reviewer, docs, rows, held_out, c)))
    figures = evaluate(reviewer, docs, rows, held_out, covered_at)
    if args.dump:
        dump = {d.name: dict(zip(r[0], map(float, p))) for d, r, (p, _) in zip(docs, rows, held_out)}
        Path(args.dump).write_text(json.dumps(dump, indent=1))
    print(f"leave-one-document-out (C={args.C}): covered_at={covered_at:.3f}")
    for key, value in figures.items():
        print(f"  {key:14} {value:.3f}")
    table = priors(rows)
    model = fit(with_priors(rows, table), args.C)
    for name, w in zip(FEATURES, model.coef):
        print(f"  coef {name:10} {w:+.3f}")
    if not args.dry_run:
        WEIGHTS_FILE.write_text(json.dumps({
            "features": list(FEATURES), "mean": model.mean.tolist(), "std": model.std.tolist(),
            "coef": model.coef.tolist(), "intercept": model.intercept,
            "credit_coef": model.credit_coef.tolist(), "credit_intercept": model.credit_intercept.tolist(),
            "covered_at": float(covered_at), "partial_at": PARTIAL_CREDIT,
            "C": args.C, "fitted_on": "shared/eval/dev", "priors": table,
        }, indent=2) + "\n")
        print(f"wrote {WEIGHTS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
