"""Fine-tune the packaged MiniLM as a bi-encoder on (item, passage) pairs from labelled designs.

    python training/finetune.py --out /tmp/design-review-minilm [--sets designs,real,dev] [--epochs 2]

Positives: a window inside a covered item's evidence span (or judged "supports"), paired with one
of the item's anchor sentences. Negatives: the other items' windows in the batch, and the windows
judged "unrelated" to the item (hard negatives: the item's words, another decision). Windows are
condensed as at review time (app/embedding/embedder.py). Runs on CPU in minutes; needs torch and
sentence-transformers (the training extra). real-dev is left out by default so that it stays a
held-out measure.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from data import load_set

from app.document.parse import parse_document
from app.embedding.embedder import condense, model_path
from app.knowledge.loader import load_knowledge
from app.config import get_settings


def pairs(docs, rubric) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    """(item id, window text) positives, and per item its hard-negative window texts."""
    positives, negatives = [], {}
    for d in docs:
        parsed = parse_document(d.text, d.name, "markdown")
        windows = [w for w in parsed.windows if w.kind != "heading" and len(w.text.split()) >= 3]

        def inside(a: int, b: int):
            return [w for w in windows if w.start_line <= b and w.end_line >= a]

        for item_id, spans in d.label.get("evidence", {}).items():
            if item_id in d.label.get("covered", []):
                for a, b in spans:
                    positives += [(item_id, w.text) for w in inside(a, b)]
        for p in d.label.get("passages", []):
            found = inside(*p["lines"])
            if p.get("label") == "supports":
                positives += [(p["item"], w.text) for w in found]
            elif p.get("label") == "unrelated":
                negatives.setdefault(p["item"], []).extend(w.text for w in found)
    known = {i.id for i in rubric.items()}
    return sorted({p for p in positives if p[0] in known}), negatives


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sets", default="designs,real,dev")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    torch.set_num_threads(2)
    rubric = load_knowledge(get_settings().corpus_dir).rubric
    items = {i.id: i for i in rubric.items()}
    docs = [d for s in args.sets.split(",") for d in load_set(s)]
    positives, negatives = pairs(docs, rubric)
    print(f"{len(positives)} positive pairs from {len(docs)} documents, "
          f"{sum(map(len, negatives.values()))} hard negatives", file=sys.stderr)
    model = SentenceTransformer(str(model_path()), device="cpu")
    tok, encoder = model.tokenizer, model[0].auto_model
    encoder.train()
    opt = torch.optim.AdamW(encoder.parameters(), lr=args.lr)

    def embed(texts: list[str]) -> torch.Tensor:
        batch = tok([condense(t) for t in texts], padding=True, truncation=True, max_length=128,
                    return_tensors="pt")
        out = encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return torch.nn.functional.normalize((out * mask).sum(1) / mask.sum(1), dim=-1)

    def item_text(item_id: str) -> str:
        item = items[item_id]
        return rng.choice([item.title, *item.anchors]) if item.anchors else item.title

    steps = 0
    for epoch in range(args.epochs):
        started = time.perf_counter()
        rng.shuffle(positives)
        pending = list(positives)
        total = 0.0
        while pending:
            batch, seen, rest = [], set(), []
            for p in pending:  # one pair per item in a batch: the others are true negatives
                if len(batch) < args.batch and p[0] not in seen:
                    batch.append(p)
                    seen.add(p[0])
                else:
                    rest.append(p)
            pending = rest
            hard = [rng.choice(negatives[i]) for i, _ in batch if negatives.get(i)]
            queries = embed([item_text(i) for i, _ in batch])
            windows = embed([w for _, w in batch] + hard)
            logits = queries @ windows.T / 0.05
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss)
            steps += 1
        print(f"epoch {epoch + 1}: mean loss {total / max(1, steps):.3f}, "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    encoder.eval()
    model.save(str(args.out))
    print(f"saved to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
