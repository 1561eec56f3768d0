"""Shared by the benchmarks: the project root on sys.path, and the labelled sets (training/data.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from data import Labelled, load_set  # noqa: E402  (the one loader of labelled documents)

__all__ = ["ROOT", "Labelled", "load_set"]
