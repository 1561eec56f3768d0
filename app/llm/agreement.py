"""Run-to-run agreement of repeated reviews of one document (`design-review review --repeat N`)."""

from __future__ import annotations

from collections import Counter

from app.review.model import Review


def _statuses(review: Review) -> dict[str, str]:
    return {i.id: i.status for items in ([s.items for s in review.stages] + [review.topic_items])
            for i in items}


def agreement(runs: list[Review]) -> dict:
    """Per item, the most common status and the share of runs that gave it; overall score spread."""
    per_run = [_statuses(r) for r in runs]
    ids = sorted(set().union(*per_run))
    items = {}
    for item in ids:
        counts = Counter(run.get(item, "missing") for run in per_run)
        status, n = counts.most_common(1)[0]
        items[item] = {"status": status, "agreement": round(n / len(runs), 4), "counts": dict(counts)}
    scores = [r.overall.score for r in runs]
    return {
        "runs": len(runs),
        "backends": sorted({r.reviewer.backend for r in runs}),
        "degraded": sum(r.reviewer.degraded for r in runs),
        "items": len(ids),
        "unanimous_items": sum(v["agreement"] == 1.0 for v in items.values()),
        "mean_agreement": round(sum(v["agreement"] for v in items.values()) / max(1, len(ids)), 4),
        "overall_scores": scores,
        "disagreements": {k: v for k, v in items.items() if v["agreement"] < 1.0},
    }


def render_agreement(report: dict) -> str:
    lines = [f"{report['runs']} uncached reviews ({', '.join(report['backends'])}; "
             f"{report['degraded']} degraded)",
             f"items with the same status in every run: {report['unanimous_items']} of {report['items']} "
             f"(mean agreement {report['mean_agreement']:.2f})",
             "overall scores: " + ", ".join(f"{s:.2f}" for s in report["overall_scores"])]
    for item, v in report["disagreements"].items():
        spread = ", ".join(f"{s} {n}" for s, n in sorted(v["counts"].items()))
        lines.append(f"  {item:40} {v['agreement']:.2f}  ({spread})")
    return "\n".join(lines) + "\n"
