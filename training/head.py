"""The pair head: a small learned reader of (window, item) pairs over the frozen embeddings.

score(w, j) = v . relu((P e_w) * (Q a_j) + R e_w + S a_j + B_j + b) + c, two outputs (supports,
mentions), where e_w is the window's embedding and a_j the mean of item j's anchor embeddings.
Trained here with torch (training only); app/scoring/head.py runs it with numpy.
"""

from __future__ import annotations

import numpy as np


def train_head(x_win: np.ndarray, item_idx: np.ndarray, anchors: np.ndarray, y: np.ndarray,
               w: np.ndarray, rank: int = 64, epochs: int = 12, seed: int = 7) -> dict:
    """Fit the head on pairs (window vectors, item indices) with targets y (pairs x 2) and weights."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    dims, n_items = x_win.shape[1], anchors.shape[0]
    P = torch.nn.Linear(dims, rank, bias=False)
    Q = torch.nn.Linear(dims, rank, bias=False)
    R = torch.nn.Linear(dims, rank, bias=False)
    S = torch.nn.Linear(dims, rank, bias=True)
    B = torch.nn.Embedding(n_items, rank)
    torch.nn.init.zeros_(B.weight)
    out = torch.nn.Linear(rank, 2)
    params = [*P.parameters(), *Q.parameters(), *R.parameters(), *S.parameters(), *out.parameters()]
    opt = torch.optim.AdamW([{"params": params, "weight_decay": 1e-4},
                             {"params": B.parameters(), "weight_decay": 1e-2}], lr=2e-3)
    A = torch.tensor(anchors, dtype=torch.float32)
    X = torch.tensor(x_win, dtype=torch.float32)
    I = torch.tensor(item_idx, dtype=torch.long)
    Y = torch.tensor(y, dtype=torch.float32)
    W = torch.tensor(w, dtype=torch.float32)
    n = len(X)
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")
    for _ in range(epochs):
        order = torch.tensor(rng.permutation(n))
        for start in range(0, n, 2048):
            b = order[start:start + 2048]
            a = A[I[b]]
            h = torch.relu(P(X[b]) * Q(a) + R(X[b]) + S(a) + B(I[b]))
            loss = (loss_fn(out(h), Y[b]).sum(dim=1) * W[b]).sum() / W[b].sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        Qa = (Q(A)).numpy()
        Sa = (S(A) + B.weight).numpy()
    return {"P": P.weight.detach().numpy().T.copy(), "R": R.weight.detach().numpy().T.copy(),
            "Qa": Qa, "Sa": Sa, "v": out.weight.detach().numpy().T.copy(), "c": out.bias.detach().numpy()}


def apply_head(head: dict, vectors: np.ndarray) -> np.ndarray:
    """windows x items x 2 logits."""
    pe = vectors @ head["P"]
    re_ = vectors @ head["R"]
    h = np.maximum(pe[:, None, :] * head["Qa"][None] + re_[:, None, :] + head["Sa"][None], 0.0)
    return h @ head["v"] + head["c"]
