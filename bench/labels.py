"""Shared by the benchmarks: the labelled evaluation sets and the agreement figures."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = ROOT.parent / "shared" / "eval"


@dataclass
class Labelled:
    """A labelled design: its text and which items it covers, partly covers, or which pitfalls it makes."""

    name: str
    text: str
    label: dict

    def status(self, item_id: str) -> str:
        if item_id in self.label.get("covered", []):
            return "covered"
        if item_id in self.label.get("partial", []):
            return "partial"
        return "missing"


def load_set(name: str) -> list[Labelled]:
    folder = EVAL / name
    if not folder.is_dir():
        sys.exit(f"no evaluation set at {folder}")
    return [Labelled(p.stem, p.with_suffix(".md").read_text(), json.loads(p.read_text()))
            for p in sorted(folder.glob("*.json"))]


def kappa(truth: list[bool], pred: list[bool]) -> float:
    """Cohen's kappa for two binary raters."""
    n = len(truth)
    if n == 0:
        return 0.0
    agree = sum(t == p for t, p in zip(truth, pred)) / n
    pt, pp = sum(truth) / n, sum(pred) / n
    chance = pt * pp + (1 - pt) * (1 - pp)
    return 1.0 if chance == 1 else (agree - chance) / (1 - chance)


def gap_figures(truth: list[bool], pred: list[bool]) -> dict:
    """Precision and recall of gaps (an item not covered), and kappa of covered vs not."""
    true_gap = [not t for t in truth]
    pred_gap = [not p for p in pred]
    tp = sum(a and b for a, b in zip(true_gap, pred_gap))
    precision = tp / max(1, sum(pred_gap))
    recall = tp / max(1, sum(true_gap))
    return {"gap_precision": precision, "gap_recall": recall, "kappa": kappa(truth, pred)}


CREDIT = {"covered": 1.0, "partial": 0.5, "missing": 0.0}


def stage_score(items, status_of) -> float:
    """Weighted share of a stage's items covered, partial counting half."""
    total = sum(i.weight for i in items)
    return sum(CREDIT[status_of(i.id)] * i.weight for i in items) / total
