"""The LLM scorer's quality on eval/dev: local, the LLM's own verdicts and the merged review, side by
side, with tokens and seconds per review (python bench/quality.py --backend llm)."""

from __future__ import annotations

import time

from data import CREDIT
from fit import kappa
from labels import load_set

TARGETS = {"gap_precision": 0.85, "gap_recall": 0.80, "kappa": 0.65, "stage_mae": 0.12}


def gap_figures(truth: list[bool], pred: list[bool]) -> dict:
    """Precision and recall of gaps (an item not covered), and kappa of covered vs not."""
    true_gap = [not t for t in truth]
    pred_gap = [not p for p in pred]
    tp = sum(a and b for a, b in zip(true_gap, pred_gap))
    precision = tp / max(1, sum(pred_gap))
    recall = tp / max(1, sum(true_gap))
    return {"gap_precision": precision, "gap_recall": recall, "kappa": kappa(truth, pred)}


def stage_score(items, status_of) -> float:
    """Weighted share of a stage's items covered, partial counting half."""
    total = sum(i.weight for i in items)
    return sum(CREDIT[status_of(i.id)] * i.weight for i in items) / total


def _statuses(review, pick) -> dict[str, str]:
    return {i.id: pick(i) for items in [s.items for s in review.stages] + [review.topic_items] for i in items}


def llm_figures(reviewer, limit: int | None = None) -> None:
    """Local, LLM and merged figures on eval/dev, side by side, with tokens and seconds per review."""
    views = {"local": [], "llm": [], "merged": []}
    rows = []
    for d in load_set("dev")[:limit]:
        local = reviewer.review(d.text, title=d.name, backend="local")
        started = time.perf_counter()
        merged = reviewer.review(d.text, title=d.name, backend="llm")
        seconds = time.perf_counter() - started
        views["local"].append((d, _statuses(local, lambda i: i.status), local))
        views["llm"].append((d, _statuses(merged, lambda i: i.llm_status or i.status), None))
        views["merged"].append((d, _statuses(merged, lambda i: i.status), merged))
        info = merged.reviewer
        usage = info.usage
        judged = sum(i.llm_status is not None for s in merged.stages for i in s.items)
        rows.append((d.name, local.overall.score, merged.overall.score, usage.input_tokens if usage else 0,
                     usage.output_tokens if usage else 0, usage.calls if usage else 0, seconds, judged,
                     len(info.llm_rejected), info.degraded_reason or ""))
    print("\ndocument                         local  merged   in_tok  out_tok calls  seconds judged rejected")
    for name, lo, me, tin, tout, calls, secs, judged, rej, why in rows:
        print(f"  {name:30} {lo:5.2f}  {me:5.2f}  {tin:7d}  {tout:7d}  {calls:4d}  {secs:7.1f}  {judged:5d}  {rej:5d}"
              f"  {why[:60]}")
    n = len(rows)
    print(f"  per review: {sum(r[3] for r in rows) / n:.0f} input tokens, {sum(r[4] for r in rows) / n:.0f} output "
          f"tokens, {sum(r[6] for r in rows) / n:.1f} s; degraded {sum(bool(r[9]) for r in rows)} of {n}")
    print(f"\n{'figure':14} {'local':>7} {'llm':>7} {'merged':>7}   target")
    table = {name: _figures(reviewer, rows_) for name, rows_ in views.items()}
    for key in ("gap_precision", "gap_recall", "kappa", "stage_mae"):
        op = "<=" if key == "stage_mae" else ">="
        print(f"  {key:14} " + " ".join(f"{table[v][key]:7.3f}" for v in views) + f"   {op} {TARGETS[key]:.2f}")


def _figures(reviewer, rows) -> dict:
    truth, pred, errors = [], [], []
    for d, got, review in rows:
        labelled_topics = set(d.label.get("topics", []))
        for group in (*reviewer.rubric.stages, *reviewer.rubric.topics):
            if group.kind == "topic" and group.id not in labelled_topics:
                continue
            for item in group.items:
                truth.append(d.status(item.id) == "covered")
                pred.append(got.get(item.id, "missing") == "covered")
        for stage in reviewer.rubric.stages:
            want = stage_score(stage.items, d.status)
            have = (next(s.score for s in review.stages if s.id == stage.id) if review
                    else stage_score(stage.items, lambda i: got.get(i, "missing")))
            errors.append(abs(have - want))
    return {**gap_figures(truth, pred), "stage_mae": sum(errors) / len(errors)}
