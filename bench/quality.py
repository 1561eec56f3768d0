"""Review quality against the labelled sets: item gaps on eval/dev, pitfalls on eval/pitfalls.

Prints item-level gap precision and recall, Cohen's kappa (covered vs not), stage-score mean
absolute error and each document's overall score; then pitfall precision and recall, where a
finding counts only when it names a labelled pitfall and points at its labelled lines.
Usage: python bench/quality.py [--backend torch|onnx|auto]
"""

from __future__ import annotations

import argparse
import time

from labels import gap_figures, load_set, stage_score

from app.config import get_settings
from app.service import build_reviewer

TARGETS = {"gap_precision": 0.85, "gap_recall": 0.80, "kappa": 0.65, "stage_mae": 0.12}


def item_figures(reviewer) -> dict:
    truth, pred, errors, rows = [], [], [], []
    for d in load_set("dev"):
        started = time.perf_counter()
        review = reviewer.review(d.text, title=d.name)
        seconds = time.perf_counter() - started
        got = {i.id: i.status for s in review.stages for i in s.items}
        got.update({i.id: i.status for i in review.topic_items})
        labelled_topics = set(d.label.get("topics", []))
        for group in (*reviewer.rubric.stages, *reviewer.rubric.topics):
            if group.kind == "topic" and group.id not in labelled_topics:
                continue
            for item in group.items:
                truth.append(d.status(item.id) == "covered")
                pred.append(got.get(item.id, "missing") == "covered")
        for stage in review.stages:
            want = stage_score(reviewer.rubric.group(stage.id).items, d.status)
            errors.append(abs(stage.score - want))
        detected = {t.id for t in review.topics}
        rows.append((d.name, review.overall.score, review.overall.verdict, sorted(labelled_topics),
                     sorted(detected), seconds))
    return {**gap_figures(truth, pred), "stage_mae": sum(errors) / len(errors), "rows": rows}


def pitfall_figures(reviewer) -> dict:
    tp = fp = fn = 0
    misses = []
    for d in load_set("pitfalls"):
        review = reviewer.review(d.text, title=d.name)
        lines = d.label.get("pitfall_lines", {})
        found = set()
        for p in review.pitfalls:
            want = lines.get(p.id)
            hit = want and any(e.start_line <= want[1] and e.end_line >= want[0] for e in p.evidence)
            if hit:
                tp += 1
                found.add(p.id)
            else:
                fp += 1
                misses.append(f"{d.name}: unexpected {p.id} at {[e.start_line for e in p.evidence]}")
        for pid in lines:
            if pid not in found:
                fn += 1
                misses.append(f"{d.name}: missed {pid} at {lines[pid]}")
    return {"precision": tp / max(1, tp + fp), "recall": tp / max(1, tp + fn), "tp": tp, "fp": fp,
            "fn": fn, "misses": misses}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["auto", "onnx", "torch"], default=None,
                        help="embedding backend (default: the configured one)")
    args = parser.parse_args()
    overrides = {"embedding_backend": args.backend} if args.backend else {}
    reviewer = build_reviewer(get_settings(**overrides))
    print(f"reviewer: local, embeddings {reviewer.embedder.name}, rubric {reviewer.rubric.version}")
    items = item_figures(reviewer)
    print("\ndocument                              overall verdict       topics (labelled -> detected)")
    for name, score, verdict, want, got, secs in items.pop("rows"):
        print(f"  {name:36} {score:5.2f}  {verdict:13} {','.join(want) or '-'} -> {','.join(got) or '-'}"
              f"  ({secs * 1000:.0f} ms)")
    print("\nitems (eval/dev)")
    for key, value in items.items():
        op = "<=" if key == "stage_mae" else ">="
        ok = value <= TARGETS[key] if key == "stage_mae" else value >= TARGETS[key]
        print(f"  {key:14} {value:.3f}   target {op} {TARGETS[key]:.2f}  {'ok' if ok else 'MISSED'}")
    pits = pitfall_figures(reviewer)
    print("\npitfalls (eval/pitfalls)")
    print(f"  precision      {pits['precision']:.3f}   target >= 0.85  ({pits['tp']} right, {pits['fp']} wrong)")
    print(f"  recall         {pits['recall']:.3f}   target >= 0.70  ({pits['fn']} missed)")
    for line in pits["misses"]:
        print(f"    {line}")


if __name__ == "__main__":
    main()
