"""Review quality against the labelled sets: item gaps on eval/dev, pitfalls on eval/pitfalls.

Prints item-level gap precision and recall, Cohen's kappa (covered vs not), stage-score mean
absolute error and each document's overall score; then pitfall precision and recall, where a
finding counts only when it names a labelled pitfall and points at its labelled lines.
Usage: python bench/quality.py [--backend local|llm] [--embedding torch|onnx|auto]
With --backend llm, every dev design is reviewed by the local scorer and by the configured LLM
(OPENAI_API_KEY, OPENAI_BASE_URL, DESIGN_REVIEW_LLM_MODEL), and the figures are printed side by
side: local, the LLM's own verdicts (before checking; the local verdict where it gave none), and
the merged review; plus tokens and seconds per review.
"""

from __future__ import annotations

import argparse
import time

from labels import gap_figures, load_set, stage_score

from app.config import get_settings
from app.review.build import build_reviewer

TARGETS = {"gap_precision": 0.85, "gap_recall": 0.80, "kappa": 0.65, "stage_mae": 0.12}


def item_figures(reviewer) -> dict:
    reviewed, rows = [], []
    for d in load_set("dev"):
        started = time.perf_counter()
        review = reviewer.review(d.text, title=d.name)
        seconds = time.perf_counter() - started
        reviewed.append((d, _statuses(review, lambda i: i.status), review))
        rows.append((d.name, review.overall.score, review.overall.verdict,
                     sorted(d.label.get("topics", [])), sorted(t.id for t in review.topics), seconds))
    return {**_figures(reviewer, reviewed), "rows": rows}


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["local", "llm", "auto", "onnx", "torch"], default="local",
                        help="scorer: local or llm (auto, onnx and torch still name the embedding backend)")
    parser.add_argument("--embedding", choices=["auto", "onnx", "torch"], default=None,
                        help="embedding backend (default: the configured one)")
    parser.add_argument("--limit", type=int, default=None, help="with --backend llm: the first N dev designs")
    args = parser.parse_args()
    embedding = args.embedding or (args.backend if args.backend in ("auto", "onnx", "torch") else None)
    overrides = {"embedding_backend": embedding} if embedding else {}
    reviewer = build_reviewer(get_settings(**overrides))
    if args.backend == "llm":
        s = reviewer.settings
        print(f"reviewer: local + LLM {s.llm_model} at {s.llm_base_url or 'OpenAI'}, rubric {reviewer.rubric.version}")
        llm_figures(reviewer, args.limit)
        return
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
