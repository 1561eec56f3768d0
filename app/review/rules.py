"""The rules that turn scores into words: a gap's severity and the overall verdict."""

from __future__ import annotations

from app.knowledge.rubric import Group, Item

# The overall score's floor for each verdict, from the best down.
VERDICTS = ((0.75, "strong"), (0.55, "adequate"), (0.35, "needs_work"), (0.0, "insufficient"))


def severity(item: Item, group: Group, status: str) -> str:
    """Gap severity from the item's weight, its stage's weight, whether it is core, and its status."""
    stake = item.weight * group.weight
    if status == "missing" and item.core and stake >= 3:
        return "critical"
    if item.core and (status == "missing" or stake >= 3):
        return "warning"
    return "info"


def verdict(score: float) -> str:
    """The verdict of an overall score (VERDICTS)."""
    return next(name for floor, name in VERDICTS if score >= floor)
