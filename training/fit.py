"""Fit the local scorer (app/scoring/weights.json) from the labelled design documents.

    python training/restore.py --mirrors /work/.mirror --out /tmp/design-review-real   # public texts
    python training/fit.py                 # fit on every labelled set found, write the weights
    python training/fit.py --cv real-dev   # leave-one-document-out figures on a set, write nothing

The passage models learn from the labelled evidence spans (supports), the spans of partial items
and "mentions" judgements (mentions), and every other window of a document, with explicit
"unrelated" judgements (hard negatives) weighted most. Each item's prototypes (the mean vector of
its supporting windows, and of its hard negatives) are features of the passages; a training
document's own windows never count in the prototypes it is read with. The item model learns
covered / partial / missing from the passages' summaries; the evidence model (a conditional logit
over a document's windows) learns which window holds a covered item's labelled evidence. Without the restored public texts the fit uses the
synthetic designs alone (it says which sets it used).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

from data import CREDIT, ROOT, Labelled, load_set

from app.config import get_settings
from app.document.parse import merge_spans, parse_document
from app.review.build import build_reviewer
from app.scoring.local import (PROTOTYPES_FILE, WEIGHTS_FILE, Linear, ScorerModel, item_features, save_prototypes,
                               stage_of)
from app.scoring.passages import PROTO_FEATURES, Passages, prototype_features
from app.scoring.substance import substance

TRAIN_SETS = ("designs", "real", "dev", "real-dev")
NEGATIVE_SHARE = 0.15   # of the windows nobody labelled for an item, this share is kept (seeded)
WEIGHT = {"supports": 1.0, "mentions": 1.0, "unrelated": 3.0, "unlabelled": 1.0}


@dataclass
class Example:
    """One labelled document read by the scorer."""

    doc: Labelled
    passages: Passages
    items: list            # rubric items evaluated on this document (stages + its labelled topics)
    columns: np.ndarray    # their columns among the scorer's items
    support: np.ndarray    # unique windows x items: 1 supports, 0 not, -1 unknown
    mention: np.ndarray
    weight: np.ndarray
    status: np.ndarray     # items: 0 missing, 1 partial, 2 covered
    windows: list          # the parsed document's windows
    vectors: np.ndarray    # unique windows x dims: their embeddings
    item_ids: tuple = ()   # every scorer item, in the order of the passages' columns

    def prototype_sums(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per scorer item: the sum and count of this document's supporting windows' vectors, and
        of its hard negatives'."""
        n, d = len(self.item_ids), self.vectors.shape[1] if self.vectors.ndim == 2 else 384
        pos, neg = np.zeros((n, d)), np.zeros((n, d))
        npos, nneg = np.zeros(n), np.zeros(n)
        if len(self.vectors):
            for c, j in enumerate(self.columns):
                good = (self.support[:, c] == 1) & (self.weight[:, c] > 0)
                bad = (self.weight[:, c] == WEIGHT["unrelated"]) & (self.support[:, c] == 0)
                pos[j], npos[j] = self.vectors[good].sum(axis=0), good.sum()
                neg[j], nneg[j] = self.vectors[bad].sum(axis=0), bad.sum()
        return pos, npos, neg, nneg


def overlaps(window, spans) -> bool:
    return any(window.start_line <= b and window.end_line >= a for a, b in spans)


def read(reviewer, doc: Labelled) -> Example:
    parsed = parse_document(doc.text, doc.name, "markdown")
    vectors = reviewer.embedder.embed([w.text for w in parsed.windows])
    subst = np.array([substance(w.text, w.kind, w.section) for w in parsed.windows], dtype=np.float32)
    passages = reviewer.scorer.passages(parsed, vectors, subst)
    scorer_items = reviewer.scorer.items
    groups = {g.id for g in reviewer.rubric.stages} | doc.topics
    columns = np.array([j for j, i in enumerate(scorer_items) if i.group in groups])
    items = [scorer_items[j] for j in columns]
    u = len(passages.index)
    windows = [parsed.windows[k] for k in passages.index]
    support = np.zeros((u, len(items)), dtype=np.float32)
    mention = np.zeros((u, len(items)), dtype=np.float32)
    weight = np.full((u, len(items)), -1.0, dtype=np.float32)  # -1: unlabelled, sampled later
    status = np.zeros(len(items), dtype=np.int64)
    evidence = doc.label.get("evidence", {})
    for c, item in enumerate(items):
        st = doc.status(item.id)
        status[c] = {"covered": 2, "partial": 1}.get(st, 0)
        spans = [tuple(s) for s in evidence.get(item.id, [])]
        for r, w in enumerate(windows):
            if st in ("covered", "partial") and spans and overlaps(w, spans):
                support[r, c] = 1.0 if st == "covered" else 0.0
                mention[r, c] = 1.0
                weight[r, c] = 1.0
    index = {i.id: c for c, i in enumerate(items)}
    for p in doc.label.get("passages", []):
        c = index.get(p.get("item"))
        if c is None or p.get("label") not in WEIGHT:
            continue
        for r, w in enumerate(windows):
            if overlaps(w, [tuple(p["lines"])]):
                support[r, c] = float(p["label"] == "supports")
                mention[r, c] = float(p["label"] in ("supports", "mentions"))
                weight[r, c] = WEIGHT[p["label"]]
    return Example(doc, passages, items, columns, support, mention, weight, status, windows,
                   vectors[passages.index] if len(passages.index) else np.zeros((0, vectors.shape[1])),
                   tuple(i.id for i in scorer_items))


def _unit(sums: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.where(norm > 0, sums / np.maximum(norm, 1e-12), 0.0).astype(np.float32)


def prototype_totals(examples: list[Example]):
    sums = [ex.prototype_sums() for ex in examples]
    return [sum(part) for part in zip(*sums)], sums


def with_prototypes(ex: Example, pos: np.ndarray, neg: np.ndarray) -> Example:
    """The example read with these prototypes (items x dims, in the scorer's order)."""
    p = ex.passages
    pair = p.pair.copy()
    if len(p.index):
        pair[..., -PROTO_FEATURES:] = prototype_features(ex.vectors.astype(np.float32), p.subst, pos, neg)
    return replace(ex, passages=Passages(p.index, pair, p.cues, p.subst, p.is_heading, p.home, p.named))


def pair_rows(examples: list[Example], seed: int = 7):
    """The passage models' training rows: labelled pairs and a sample of the unlabelled ones."""
    rng = np.random.default_rng(seed)
    xs, ys, ym, ws = [], [], [], []
    for ex in examples:
        if not len(ex.passages.index):
            continue
        flat = ex.passages.flat().reshape(len(ex.passages.index), -1, ex.passages.flat().shape[1])
        x = flat[:, ex.columns, :]
        weight = ex.weight.copy()
        unlabelled = weight < 0
        keep = unlabelled & (rng.random(weight.shape) < NEGATIVE_SHARE) & ~ex.passages.is_heading[:, None]
        weight[unlabelled] = 0.0
        weight[keep] = WEIGHT["unlabelled"] / NEGATIVE_SHARE / 10.0
        mask = weight > 0
        xs.append(x[mask])
        ys.append(ex.support[mask])
        ym.append(ex.mention[mask])
        ws.append(weight[mask])
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ym), np.concatenate(ws)


def fit_linear(x: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, C: float = 1.0) -> Linear:
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    model = LogisticRegression(C=C, max_iter=2000)
    model.fit((x - mean) / std, y, sample_weight=w)
    return Linear(mean, std, np.atleast_2d(model.coef_), np.atleast_1d(model.intercept_))


def item_rows(ex: Example, model: ScorerModel, priors: dict[str, float]) -> np.ndarray:
    p = ex.passages
    if len(p.index):
        x = p.flat()
        support = model.support.probability(x).reshape(p.shape)
        mention = model.mention.probability(x).reshape(p.shape)
    else:
        support = mention = np.zeros(p.shape)
    prior = np.array([priors.get(i.id, 0.0) for i in ex.items])
    feats, best = item_features(_subset(p, ex.columns), support[:, ex.columns], mention[:, ex.columns], prior,
                                stage_of(ex.items))
    return feats, best, support[:, ex.columns]


def _subset(p: Passages, columns: np.ndarray) -> Passages:
    return Passages(p.index, p.pair[:, columns], p.cues, p.subst, p.is_heading, p.home[columns], p.named[columns])


def item_priors(examples: list[Example]) -> dict[str, float]:
    """Each item's log-odds of being covered across the training documents (smoothed)."""
    counts: dict[str, list[int]] = {}
    for ex in examples:
        for item, s in zip(ex.items, ex.status):
            c = counts.setdefault(item.id, [0, 0])
            c[0] += int(s == 2)
            c[1] += 1
    return {i: float(np.log((a + 1) / (n - a + 1))) for i, (a, n) in counts.items()}


def fit(examples: list[Example], C: float = 0.5) -> ScorerModel:
    (pos, npos, neg, nneg), own = prototype_totals(examples)
    # Each training document is read with prototypes made without its own windows, as an unseen
    # design will be.
    examples = [with_prototypes(ex, _unit(pos - op), _unit(neg - on)) for ex, (op, _, on, _) in zip(examples, own)]
    x, ys, ym, w = pair_rows(examples)
    support = fit_linear(x, ys, w, C)
    mention = fit_linear(x, ym, w, C)
    priors = item_priors(examples)
    model = ScorerModel(support, mention, Linear(np.zeros(1), np.ones(1), np.zeros((3, 1)), np.zeros(3)),
                        priors, 0.5, 0.3)
    rows, labels = [], []
    for ex in examples:
        feats, _, _ = item_rows(ex, model, priors)
        rows.append(feats)
        labels.append(ex.status)
    xi, yi = np.concatenate(rows), np.concatenate(labels)
    model.item = fit_linear(xi, yi, None, C)
    dist = model.item.softmax(xi)
    model.covered_at, model.partial_at = thresholds(dist, yi)
    fit_applicability(model, examples, rows)
    model.evidence = fit_evidence(model, examples)
    ids = examples[0].item_ids
    p_all, n_all = _unit(pos), _unit(neg)
    model.prototypes = {i: (p_all[j], n_all[j]) for j, i in enumerate(ids) if npos[j] > 0 or nneg[j] > 0}
    return model


def evidence_groups(ex: Example, model: ScorerModel):
    """For each covered item with labelled evidence: its candidate windows' features (what the
    reviewer may cite: said something, not a heading) and which of them meet a labelled span."""
    p = ex.passages
    if not len(p.index):
        return []
    flat = p.flat()
    support = model.support.probability(flat).reshape(p.shape)
    x = np.concatenate([flat, support.reshape(-1, 1)], axis=1).reshape(len(p.index), p.shape[1], -1)
    said = ~p.is_heading & (p.subst > 0)
    evidence = ex.doc.label.get("evidence", {})
    out = []
    for c, item in enumerate(ex.items):
        spans = evidence.get(item.id)
        if ex.status[c] != 2 or not spans:
            continue
        hit = np.array([any(w.start_line <= b + 1 and w.end_line >= a - 1 for a, b in spans) for w in ex.windows])
        if (hit & said).any():
            out.append((x[said, ex.columns[c], :], hit[said]))
    return out


def fit_evidence(model: ScorerModel, examples: list[Example], l2: float = 1.0) -> Linear | None:
    """A conditional logit over each document's windows: P(this window is the item's evidence)."""
    groups = [g for ex in examples for g in evidence_groups(ex, model)]
    if len(groups) < 20:
        return None
    stacked = np.concatenate([x for x, _ in groups])
    mean, std = stacked.mean(axis=0), stacked.std(axis=0) + 1e-6
    scaled = [((x - mean) / std, hit) for x, hit in groups]

    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for x, hit in scaled:
            z = x @ w
            e = np.exp(z - z.max())
            prob = e / e.sum()
            at = prob[hit].sum() + 1e-12
            total -= np.log(at)
            grad -= prob[hit] @ x[hit] / at - prob @ x
        return total + l2 * w @ w, grad + 2 * l2 * w

    w = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B").x
    return Linear(mean, std, w[None, :], np.zeros(1))


def fit_applicability(model: ScorerModel, examples: list[Example], rows: list[np.ndarray]) -> None:
    """P(not applicable) for non-core items the labels call missing or not applicable, on the
    documents whose labellers marked applicability."""
    marked = [(ex, r) for ex, r in zip(examples, rows) if "not_applicable" in ex.doc.label]
    counts: dict[str, list[int]] = {}
    for ex, _ in marked:
        for item in ex.items:
            c = counts.setdefault(item.id, [0, 0])
            c[0] += ex.doc.status(item.id) == "not_applicable"
            c[1] += 1
    model.na_priors = {i: float(np.log((a + 0.5) / (n - a + 2))) for i, (a, n) in counts.items()}
    xs, ys = [], []
    for ex, r in marked:
        for c, item in enumerate(ex.items):
            st = ex.doc.status(item.id)
            if not item.core and st in ("missing", "not_applicable"):
                xs.append(np.append(r[c], model.na_priors.get(item.id, -4.0)))
                ys.append(st == "not_applicable")
    if sum(ys) < 10:
        model.applies = None
        return
    x, y = np.array(xs), np.array(ys)
    model.applies = fit_linear(x, y, None, 0.5)
    p = model.applies.probability(x)
    # The lowest threshold at which most items called not applicable are (precision >= 0.8).
    for t in np.arange(0.3, 0.96, 0.01):
        fired = p >= t
        if fired.sum() and y[fired].mean() >= 0.8:
            model.na_at = float(t)
            return
    model.na_at = 0.96


def thresholds(dist: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The covered threshold with the best kappa (covered vs not), then the partial threshold with
    the best three-way agreement."""
    truth = y == 2
    best = max(np.arange(0.2, 0.8, 0.01), key=lambda t: kappa(truth, dist[:, 2] >= t))
    credit = dist[:, 2] + 0.5 * dist[:, 1]
    pred = lambda t: np.where(dist[:, 2] >= best, 2, np.where(credit >= t, 1, 0))
    part = max(np.arange(0.1, 0.6, 0.01), key=lambda t: float((pred(t) == y).mean()))
    return float(best), float(part)


def kappa(truth: np.ndarray, pred: np.ndarray) -> float:
    truth, pred = np.asarray(truth, bool), np.asarray(pred, bool)
    n = len(truth)
    if n == 0:
        return 0.0
    agree = float((truth == pred).mean())
    pt, pp = truth.mean(), pred.mean()
    chance = pt * pp + (1 - pt) * (1 - pp)
    return 1.0 if chance == 1 else (agree - chance) / (1 - chance)


def read_with(ex: Example, model: ScorerModel) -> Example:
    """The example read as the reviewer reads it with this model (its prototypes)."""
    if not model.prototypes:
        return ex
    return with_prototypes(ex, *model.prototype_matrix(list(ex.item_ids), ex.vectors.shape[1]))


def predict(ex: Example, model: ScorerModel, stages) -> dict:
    """What the reviewer would say of this document: statuses, credits, stage and overall scores."""
    ex = read_with(ex, model)
    feats, best, support = item_rows(ex, model, model.priors)
    rank = model.evidence_rank(_subset(ex.passages, ex.columns), support)
    dist = model.item.softmax(feats)
    p, credit = dist[:, 2], dist[:, 2] + 0.5 * dist[:, 1]
    status = np.where(p >= model.covered_at, 2, np.where(credit >= model.partial_at, 1, 0))
    na = (model.not_applicable(feats, ex.items) >= model.na_at) & (status == 0)
    by_id = {i.id: k for k, i in enumerate(ex.items)}
    stage_scores, overall_num, overall_den = {}, 0.0, 0.0
    for g in stages:
        ks = [by_id[i.id] for i in g.items if not na[by_id[i.id]]] or [by_id[i.id] for i in g.items]
        wts = np.array([ex.items[k].weight for k in ks])
        stage_scores[g.id] = float((credit[ks] * wts).sum() / wts.sum())
        overall_num += float(((status[ks] == 2) * wts).sum() / wts.sum()) * g.weight
        overall_den += g.weight
    return {"status": status, "p": p, "credit": credit, "best": best, "support": support, "rank": rank,
            "stage": stage_scores,
            "overall": overall_num / overall_den, "na": {ex.items[k].id for k in np.flatnonzero(na)}}


def truth_scores(ex: Example, stages, na: set[str]) -> tuple[dict, float]:
    """The labels' stage and overall scores, counted like the reviewer's: over the items it finds
    applicable (labels without applicability say nothing against that) and the labelled ones."""
    stage, num, den = {}, 0.0, 0.0
    for g in stages:
        items = [i for i in g.items if i.id not in na and ex.doc.status(i.id) != "not_applicable"] or list(g.items)
        wts = np.array([i.weight for i in items])
        stage[g.id] = float(sum(CREDIT[ex.doc.status(i.id)] * i.weight for i in items) / wts.sum())
        num += float(sum((ex.doc.status(i.id) == "covered") * i.weight for i in items) / wts.sum()) * g.weight
        den += g.weight
    return stage, num / den


def cited_rows(ex: Example, out: dict, c: int) -> list[int]:
    """The unique windows the review cites for item column c (as the reviewer picks them), best-ranked
    first; the best supporting window where it cites none."""
    p = ex.passages
    rank = None if out.get("rank") is None else out["rank"][:, c]
    score = out["support"][:, c] if rank is None else rank
    chosen = [p.index.index(k) for k in p.evidence(out["support"][:, c], int(out["best"][c]), rank)]
    return sorted(chosen, key=lambda r: -score[r]) or [int(out["best"][c])]


def cited_window(ex: Example, out: dict, c: int) -> int:
    """The unique window the review ranks first among those it cites for item column c."""
    return cited_rows(ex, out, c)[0]


def cited_spans(ex: Example, out: dict, c: int, rows: list[int] | None = None) -> list[tuple[int, int]]:
    """Every line span the review cites for item column c, in line order (as the report shows them)."""
    rows = cited_rows(ex, out, c) if rows is None else rows
    return merge_spans((ex.windows[r].start_line, ex.windows[r].end_line) for r in rows)


def figures(results: list[tuple[Example, dict]], stages) -> dict:
    truth, pred, stage_err, overall, words, hits, cited, any_hits = [], [], [], [], [], 0, 0, 0
    na_total = na_wrong = 0
    for ex, out in results:
        na_total += len(out.get("na", ()))
        na_wrong += sum(ex.doc.status(i) in ("covered", "partial") for i in out.get("na", ()))
        truth += list(ex.status == 2)
        pred += list(out["status"] == 2)
        want_stage, want_overall = truth_scores(ex, stages, out.get("na", set()))
        stage_err += [abs(out["stage"][g] - want_stage[g]) for g in want_stage]
        overall.append((out["overall"] - want_overall, want_overall, out["overall"]))
        words.append(ex.doc.words)
        evidence = ex.doc.label.get("evidence", {})
        for c, item in enumerate(ex.items):
            if out["status"][c] == 2 and out["best"][c] >= 0:
                cited += 1
                rows = cited_rows(ex, out, c)
                w = ex.windows[rows[0]]
                spans = evidence.get(item.id, []) if ex.status[c] == 2 else []
                hits += any(w.start_line <= b + 1 and w.end_line >= a - 1 for a, b in spans)
                any_hits += any(s <= b + 1 and e >= a - 1 for s, e in cited_spans(ex, out, c, rows) for a, b in spans)
    truth, pred = np.array(truth), np.array(pred)
    gap_t, gap_p = ~truth, ~pred
    tp = float((gap_t & gap_p).sum())
    errs = np.array([e for e, _, _ in overall])
    corr = float(np.corrcoef(errs, words)[0, 1]) if len(errs) > 2 else 0.0
    return {"gap_precision": tp / max(1, gap_p.sum()), "gap_recall": tp / max(1, gap_t.sum()),
            "kappa": kappa(truth, pred), "stage_mae": float(np.mean(stage_err)),
            "overall_mae": float(np.abs(errs).mean()), "corr_error_words": corr,
            "evidence_hit": hits / max(1, cited), "evidence_any": any_hits / max(1, cited), "cited": cited,
            "not_applicable": f"{na_total} items, {na_wrong} of them labelled covered or partial",
            "overall": [(ex.doc.name, ex.doc.words, w, g) for (ex, _), (_, w, g) in zip(results, overall)]}


def print_figures(title: str, f: dict) -> None:
    print(f"\n{title}")
    for key in ("gap_precision", "gap_recall", "kappa", "stage_mae", "overall_mae", "corr_error_words",
                "evidence_hit", "evidence_any"):
        print(f"  {key:18} {f[key]:.3f}")
    print(f"  covered verdicts cited: {f['cited']}; not applicable: {f['not_applicable']}")
    for name, words, want, got in f["overall"]:
        print(f"    {name:40} {words:5d} words  overall label {want:.2f}  scored {got:.2f}")


def unfitted_reviewer():
    """A reviewer whose scorer has no model: fitting reads only its features."""
    from app.review import reviewer as reviewer_module

    reviewer_module.WEIGHTS_FILE = Path("/nonexistent")
    return build_reviewer(get_settings())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", metavar="SET", help="leave-one-document-out on this set; write nothing")
    parser.add_argument("--sets", default=",".join(TRAIN_SETS), help="sets to fit on")
    parser.add_argument("--C", type=float, default=0.5)
    parser.add_argument("--real-texts", type=Path, default=None)
    parser.add_argument("--real-dev-texts", type=Path, default=None)
    args = parser.parse_args()
    reviewer = unfitted_reviewer()
    texts = {"real": args.real_texts, "real-dev": args.real_dev_texts}
    started = time.perf_counter()
    examples = [read(reviewer, d) for s in args.sets.split(",") for d in load_set(s, texts.get(s))]
    used = sorted({e.doc.set for e in examples})
    print(f"read {len(examples)} documents from {', '.join(used)} in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    stages = reviewer.rubric.stages
    if args.cv:
        results = []
        for k, ex in enumerate(examples):
            if ex.doc.set != args.cv:
                continue
            model = fit([e for j, e in enumerate(examples) if j != k], args.C)
            results.append((ex, predict(ex, model, stages)))
        print_figures(f"{args.cv}, leave-one-document-out ({len(results)} documents, "
                      f"fitted on the other {len(examples) - 1})", figures(results, stages))
        return
    model = fit(examples, args.C)
    body = {**model.to_json(), "prototypes_sha256": save_prototypes(model.prototypes),
            "fitted_on": {s: sorted(e.doc.name for e in examples if e.doc.set == s)
                                             for s in used}}
    WEIGHTS_FILE.write_text(json.dumps(body, indent=1) + "\n")
    digest = hashlib.sha256(WEIGHTS_FILE.read_bytes()).hexdigest()
    print(f"wrote {WEIGHTS_FILE.relative_to(ROOT)} (sha256 {digest[:16]}) and {PROTOTYPES_FILE.relative_to(ROOT)} "
          f"(sha256 {body['prototypes_sha256'][:16]}) from {len(examples)} documents")
    print_figures("in-sample (fitted on these)", figures([(e, predict(e, model, stages)) for e in examples
                                                        if e.doc.set in ("real-dev", "dev")], stages))


if __name__ == "__main__":
    main()
