"""A cross-encoder reader, tried here and not shipped (docs/benchmarks.md says what it measured).

    python training/cross_encoder.py items --epochs 1.5 --out /tmp/design-review-ce-items.pt
    python training/cross_encoder.py pitfalls --epochs 3 --out /tmp/design-review-ce-pitfalls.pt

The packaged MiniLM with one logistic output over its mean-pooled tokens, fine-tuned on
(query, window) pairs:
- `items`: the item's stage and title against a window of a labelled design (supports 1, mentions
  in passing 0.3, unrelated and a sample of the windows of missing items 0; hard negatives weighted
  2). real-dev is left out; the figures are read on it: window AUC against the linear passage model
  on the 8 windows it ranks highest per item, item AUC, and how often the best window meets a
  labelled span.
- `pitfalls`: a description of each pitfall against a window with its section and the window
  before it (the labelled lines 1, control lines 0 weighted 2, a sample of the rest 0, also from the
  public write-ups and synthetic designs). The splits named by --held-out (default test5,test6) are
  left out; the figures on them: the rules, the reader alone, the rules with the reader as a veto.

Needs the `train` extra (torch, transformers) and, for `items`, the restored public texts
(training/restore.py; ../shared/eval/real-dev/restore.py). CPU by default (about 30 minutes on 2
cores for either); `--device cuda` where there is a GPU.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from data import FOLDERS, load_set

from app.document.parse import parse_document

PITFALLS = {
    "pitfall.accuracy_on_imbalanced": "plain accuracy is the main metric although one class is rare",
    "pitfall.random_split_time_data": "rows are split into train and test at random or shuffled although the "
                                      "data is ordered in time",
    "pitfall.preprocessing_leakage": "a scaler, imputer, encoder or other statistic is fitted on all the data "
                                     "before the split",
    "pitfall.label_leakage": "a feature is only known after the moment of prediction or is derived from the label",
    "pitfall.non_interaction_as_negative": "everything the user did not click or interact with is labelled "
                                           "negative, even items never shown",
    "pitfall.train_serve_skew": "training and serving compute the features with different code or different data",
}
IDS = list(PITFALLS)


def build_model(device: str):
    import torch
    from transformers import AutoModel, AutoTokenizer

    from app.embedding.embedder import model_path

    class Reader(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(model_path()))
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(self, **batch):
            hidden = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

    return AutoTokenizer.from_pretrained(str(model_path())), Reader().to(device)


def train(pairs, epochs: float, device: str, max_length: int, seed: int = 7):
    import torch

    torch.manual_seed(seed)
    tok, model = build_model(device)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=4e-5, weight_decay=0.01)
    batch, steps = 32, max(1, int(len(pairs) * epochs / 32))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-5, total_steps=steps, pct_start=0.1)
    rng, order, started = random.Random(seed), [], time.perf_counter()
    for step in range(steps):
        if not order:
            order = list(range(len(pairs)))
            rng.shuffle(order)
        chosen = [pairs[order.pop()] for _ in range(min(batch, len(order)))]
        enc = tok([p[0] for p in chosen], [p[1] for p in chosen], padding=True, truncation="only_second",
                  max_length=max_length, return_tensors="pt").to(device)
        y = torch.tensor([p[2] for p in chosen], device=device)
        w = torch.tensor([p[3] for p in chosen], device=device)
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(model(**enc), y, reduction="none") * w).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0:
            print(f"step {step}/{steps} loss {loss.item():.3f} {time.perf_counter() - started:.0f} s", file=sys.stderr)
    model.eval()
    return tok, model


def scorer(tok, model, device: str, max_length: int):
    import torch

    @torch.no_grad()
    def score(pairs) -> np.ndarray:
        out = []
        for i in range(0, len(pairs), 128):
            part = pairs[i:i + 128]
            enc = tok([a for a, _ in part], [b for _, b in part], padding=True, truncation="only_second",
                      max_length=max_length, return_tensors="pt").to(device)
            out.append(model(**enc).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    return score


# ---- items --------------------------------------------------------------------------------------

def item_text(item) -> str:
    return f"{item.group}: {item.title}"


def item_pairs(ex, rng) -> list:
    out = []
    for c, item in enumerate(ex.items):
        for r, w in enumerate(ex.windows):
            if ex.passages.is_heading[r] or len(w.text.split()) < 3:
                continue
            weight = ex.weight[r, c]
            if weight < 0:  # unlabelled: a negative only by sample, mostly from missing items
                if rng.random() >= (0.06 if ex.status[c] == 0 else 0.02):
                    continue
                target, weight = 0.0, 1.0
            else:
                target = 1.0 if ex.support[r, c] == 1 else 0.3 if ex.mention[r, c] == 1 else 0.0
            out.append((item_text(item), w.text, target, float(min(weight, 2.0))))
    return out


def run_items(args) -> None:
    import fit as F
    from sklearn.metrics import roc_auc_score

    reviewer = F.unfitted_reviewer()
    stages = reviewer.rubric.stages
    texts = {"real": args.real_texts, "real-dev": args.real_dev_texts}
    examples = [F.read(reviewer, d) for s in F.TRAIN_SETS for d in load_set(s, texts.get(s))]
    rng = np.random.default_rng(7)
    pairs = [p for e in examples if e.doc.set in ("designs", "real") for p in item_pairs(e, rng)]
    print(f"{len(pairs)} training pairs", file=sys.stderr)
    tok, model = train(pairs, args.epochs, args.device, 96)
    if args.out:
        import torch
        torch.save(model.state_dict(), args.out)
    score = scorer(tok, model, args.device, 96)
    linear = F.fit([e for e in examples if e.doc.set != "real-dev"])
    windows, items, hits = [], [], [0, 0, 0]
    for e in (e for e in examples if e.doc.set == "real-dev"):
        out = F.predict(e, linear, stages)
        sup = out["support"]
        said = ~e.passages.is_heading & (e.passages.subst > 0)
        evidence = e.doc.label.get("evidence", {})
        for c, item in enumerate(e.items):
            top = [r for r in np.argsort(-np.where(said, sup[:, c], -1))[:8] if said[r]]
            ce = score([(item_text(item), e.windows[r].text) for r in top])
            spans = evidence.get(item.id, [])
            meets = [any(e.windows[r].start_line <= b + 1 and e.windows[r].end_line >= a - 1 for a, b in spans)
                     for r in top]
            for r, v, m in zip(top, ce, meets):
                # a covered item's labelled span against the windows of missing items
                if (e.status[c] == 2 and m) or e.status[c] == 0:
                    windows.append((e.status[c] == 2, sup[r, c], v))
            items.append((e.status[c] == 2, out["p"][c], max(ce, default=-10.0)))
            if e.status[c] == 2 and out["status"][c] == 2 and spans and top:
                cited = F.cited_window(e, out, c)
                hits[0] += 1
                hits[1] += meets[top.index(cited)] if cited in top else 0
                hits[2] += meets[int(np.argmax(ce))]
    w, it = np.array(windows, dtype=float), np.array(items, dtype=float)
    print(f"window AUC, supports vs not: linear {roc_auc_score(w[:, 0], w[:, 1]):.3f}, "
          f"cross-encoder {roc_auc_score(w[:, 0], w[:, 2]):.3f} ({len(w)} pairs)")
    print(f"item AUC, covered vs not: item model {roc_auc_score(it[:, 0], it[:, 1]):.3f}, "
          f"cross-encoder's best window {roc_auc_score(it[:, 0], it[:, 2]):.3f}")
    print(f"best window meets a labelled span, {hits[0]} covered items: linear {hits[1]}, cross-encoder {hits[2]}")


# ---- pitfalls -----------------------------------------------------------------------------------

def in_context(windows, k: int) -> str:
    w = windows[k]
    before = windows[k - 1].text[-200:] if k and windows[k - 1].section == w.section else ""
    return f"{w.section} | {before + ' >> ' if before else ''}{w.text}"


def pitfall_pairs(label: dict, windows, rng, rate: float) -> list:
    def meets(w, lines):
        return bool(lines) and w.start_line <= lines[1] and w.end_line >= lines[0]

    want, controls = label.get("pitfall_lines") or {}, label.get("controls") or {}
    out = []
    for k, w in enumerate(windows):
        if w.kind == "heading":
            continue
        text = in_context(windows, k)
        for p in IDS:
            if meets(w, want.get(p)):
                out.append((PITFALLS[p], text, 1.0, 1.0))
            elif meets(w, controls.get(p)):
                out.append((PITFALLS[p], text, 0.0, 2.0))
            elif rng.random() < rate / len(IDS) * (3 if p in want else 1):
                out.append((PITFALLS[p], text, 0.0, 1.0))
    return out


def run_pitfalls(args) -> None:
    from app.scoring.pitfalls import DETECTORS, find_pitfalls

    held = set(args.held_out.split(","))
    rng = np.random.default_rng(7)
    cases = []
    for folder in (FOLDERS["pitfall-cases"], FOLDERS["pitfalls"]):
        for path in sorted(Path(folder).glob("*.json")):
            if path.with_suffix(".md").is_file():
                doc = parse_document(path.with_suffix(".md").read_text())
                cases.append((json.loads(path.read_text()), doc))
    pairs = [p for label, doc in cases if label.get("split") not in held
             for p in pitfall_pairs(label, doc.windows, rng, 1.0)]
    for d in load_set("real", args.real_texts) + load_set("designs"):
        pairs += pitfall_pairs({"pitfall_lines": d.label.get("pitfall_lines") or {}},
                               parse_document(d.text).windows, rng, 0.25)
    print(f"{len(pairs)} training pairs", file=sys.stderr)
    tok, model = train(pairs, args.epochs, args.device, 128)
    if args.out:
        import torch
        torch.save(model.state_dict(), args.out)
    score = scorer(tok, model, args.device, 128)
    for split in sorted(held):
        rows = []
        for label, doc in (c for c in cases if c[0].get("split") == split):
            ks = [k for k, w in enumerate(doc.windows) if w.kind != "heading"]
            s = score([(PITFALLS[p], in_context(doc.windows, k)) for k in ks for p in IDS]).reshape(len(ks), len(IDS))
            by_window = dict(zip(ks, s))
            rules = [(f.pitfall, f.windows) for f in find_pitfalls(doc, set(DETECTORS))]
            rows.append((label, doc, by_window, rules))

        def figures(mode: str, t: float) -> str:
            tp = fp = fn = 0
            for label, doc, by_window, rules in rows:
                want = label.get("pitfall_lines") or {}
                found = []
                for p, ws in rules:
                    reader = max((by_window[k][IDS.index(p)] for k in ws if k in by_window), default=-9.0)
                    if mode == "rules" or reader >= t:
                        found.append((p, ws))
                if mode == "reader":
                    found = [(p, [max(by_window, key=lambda k: by_window[k][j])]) for j, p in enumerate(IDS)
                             if by_window and max(v[j] for v in by_window.values()) >= t]
                seen = set()
                for p, ws in found:
                    lines = want.get(p)
                    if lines and any(doc.windows[k].start_line <= lines[1] and doc.windows[k].end_line >= lines[0]
                                     for k in ws):
                        tp += 1
                        seen.add(p)
                    else:
                        fp += 1
                fn += sum(p not in seen for p in want)
            return f"precision {tp / max(1, tp + fp):.2f} recall {tp / max(1, tp + fn):.2f}"

        print(f"{split} ({len(rows)} cases): rules {figures('rules', 0)}")
        for t in (-2.0, 0.0, 2.0):
            print(f"    threshold {t:+.0f}: reader alone {figures('reader', t)}; rules, reader as veto {figures('veto', t)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task", choices=("items", "pitfalls"))
    parser.add_argument("--epochs", type=float, default=1.5)
    parser.add_argument("--out", type=Path, default=None, help="where to save the fine-tuned weights")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--held-out", default="test5,test6", help="pitfall splits left out of training")
    parser.add_argument("--real-texts", type=Path, default=None)
    parser.add_argument("--real-dev-texts", type=Path, default=None)
    args = parser.parse_args()
    (run_items if args.task == "items" else run_pitfalls)(args)


if __name__ == "__main__":
    main()
