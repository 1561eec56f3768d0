"""Pitfall detector, precision and recall at the labelled lines.

Tune sets (printed per pitfall, with misses and wrong findings listed):
- training/pitfalls cases with split "tune" or "train"
- ../shared/eval/pitfalls
- the pitfall_lines of training/designs
With --held-out: only the aggregate figures on the training/pitfalls cases with split "test"
(their texts and labels are never printed).

A finding counts when it names a labelled pitfall and one of its windows overlaps the labelled
lines; any other finding is wrong. Documents without pitfalls must stay clean.
Real documents (load_set("real"), texts restored by training/restore.py): every finding listed with
its document, pitfall, lines and window text, marked right (it overlaps the labelled pitfall_lines)
or wrong (any other finding: a false alarm in front of an engineer), plus totals.
Usage: python bench/pitfalls_dev.py [--held-out] [--quiet] [--real-only]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.document.parse import parse_document  # noqa: E402
from app.scoring.pitfalls import DETECTORS, find_pitfalls  # noqa: E402

KNOWN = set(DETECTORS)
CASES = ROOT / "training" / "pitfalls"
SHARED = ROOT.parent / "shared" / "eval" / "pitfalls"
DESIGNS = ROOT / "training" / "designs"


def _docs(folder: Path, splits: set[str] | None):
    for path in sorted(folder.glob("*.json")):
        label = json.loads(path.read_text())
        if splits is not None and label.get("split") not in splits:
            continue
        doc_path = path.with_suffix(".md")
        if not doc_path.is_file():
            continue
        yield path.stem, doc_path.read_text(), label


def score(docs, verbose: bool, title: str):
    stats = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn per pitfall
    clean = controls = 0
    misses, wrongs = [], []
    for name, text, label in docs:
        doc = parse_document(text)
        want = label.get("pitfall_lines", {}) or {}
        found = set()
        findings = find_pitfalls(doc, KNOWN)
        for f in findings:
            spans = doc.spans(f.windows)
            lines = want.get(f.pitfall)
            if lines and any(a <= lines[1] and b >= lines[0] for a, b in spans):
                stats[f.pitfall][0] += 1
                found.add(f.pitfall)
            else:
                stats[f.pitfall][1] += 1
                if verbose:
                    wrongs.append((name, f.pitfall, spans,
                                   [doc.windows[k].text[:160] for k in f.windows]))
        for p, lines in want.items():
            if p not in found:
                stats[p][2] += 1
                if verbose:
                    misses.append((name, p, lines, doc.quote(lines[0], lines[1], 220)))
        if not want:
            controls += 1
            clean += not findings
    tp = sum(s[0] for s in stats.values())
    fp = sum(s[1] for s in stats.values())
    fn = sum(s[2] for s in stats.values())
    print(f"{title:40} precision {tp / max(1, tp + fp):.3f}  recall {tp / max(1, tp + fn):.3f}  "
          f"[{tp} right, {fp} wrong, {fn} missed; {clean}/{controls} clean controls]")
    if verbose:
        for p in sorted(stats):
            t, f_, n = stats[p]
            print(f"    {p:40} P {t / max(1, t + f_):.2f} R {t / max(1, t + n):.2f}  ({t}/{f_}/{n})")
        for name, p, lines, quote in misses:
            print(f"    MISS  {name} {p} {lines}: {quote}")
        for name, p, spans, texts in wrongs:
            print(f"    WRONG {name} {p} {spans}: {texts}")
    return tp, fp, fn


def real() -> tuple[int, int, int]:
    """Every finding on the public design documents of load_set("real"), marked right or wrong."""
    sys.path.insert(0, str(ROOT / "training"))
    from data import load_set  # noqa: E402

    docs = load_set("real")
    tp = fp = fn = 0
    per = defaultdict(lambda: [0, 0, 0])
    print(f"real documents ({len(docs)}): every finding")
    for item in docs:
        doc = parse_document(item.text)
        want = item.label.get("pitfall_lines", {}) or {}
        found = set()
        for f in find_pitfalls(doc, KNOWN):
            lines = want.get(f.pitfall)
            spans = doc.spans(f.windows)
            ok = bool(lines) and any(a <= lines[1] and b >= lines[0] for a, b in spans)
            if ok:
                found.add(f.pitfall)
            tp += ok
            fp += not ok
            per[f.pitfall][0 if ok else 1] += 1
            for k in f.windows:
                w = doc.windows[k]
                text = " ".join(w.text.split())[:120]
                print(f"    {'RIGHT' if ok else 'WRONG'} {item.name:36} {f.pitfall:36} "
                      f"L{w.start_line}-{w.end_line} [{w.kind}]: {text}")
        for p, lines in want.items():
            if p not in found:
                fn += 1
                per[p][2] += 1
                print(f"    MISS  {item.name:36} {p:36} L{lines[0]}-{lines[1]}: "
                      f"{doc.quote(lines[0], lines[1], 120)}")
    for p in sorted(per):
        t, f_, n = per[p]
        print(f"    {p:40} right {t} wrong {f_} missed {n}")
    print(f"{'REAL':40} precision {tp / max(1, tp + fp):.3f}  recall {tp / max(1, tp + fn):.3f}  "
          f"[{tp} right, {fp} wrong (false findings), {fn} missed]")
    return tp, fp, fn


def speed() -> None:
    """Mean time of find_pitfalls on designs of about 2,000 words (whole designs joined)."""
    texts = [t for _, t, _ in _docs(DESIGNS, None)]
    docs = []
    for i in range(len(texts)):
        cut, words = [], 0
        for t in texts[i:] + texts[:i]:
            cut.append(t)
            words += len(t.split())
            if words >= 2000:
                break
        docs.append(parse_document("\n\n".join(cut)))
    find_pitfalls(docs[0], KNOWN)
    started = time.perf_counter()
    for d in docs:
        find_pitfalls(d, KNOWN)
    ms = (time.perf_counter() - started) / len(docs) * 1000
    words = sum(d.words for d in docs) / len(docs)
    print(f"speed: {ms:.1f} ms a design, mean {words:.0f} words ({ms * 2000 / words:.1f} ms per 2,000 words; "
          f"target < 20)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--held-out", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--real-only", action="store_true")
    args = ap.parse_args()
    if args.real_only:
        real()
        return
    if args.held_out:
        score(_docs(CASES, {"test"}), False, "HELD-OUT training/pitfalls test")
        return
    v = not args.quiet
    total = [0, 0, 0]
    for title, docs in [("training/pitfalls tune+train", _docs(CASES, {"tune", "train"})),
                        ("shared/eval/pitfalls", _docs(SHARED, None)),
                        ("training/designs pitfall_lines", _docs(DESIGNS, None))]:
        r = score(docs, v, title)
        total = [a + b for a, b in zip(total, r)]
    tp, fp, fn = total
    print(f"{'ALL TUNE':40} precision {tp / max(1, tp + fp):.3f}  recall {tp / max(1, tp + fn):.3f}")
    real()
    speed()


if __name__ == "__main__":
    main()
