"""Multiple-instance pooling: from the scores of a conversation's parts to the conversation's.

The neural detectors score parts of a conversation (messages, chunks of messages, token
windows) and pool them, so a few lines that matter are not averaged away by hundreds that do
not. ``top_k_mean`` is the fixed pooling (``max`` is k = 1); attention pooling is learned:

A conversation's chunks (messages, or a few consecutive messages) are embedded as rows ``x_i``.
Each gets an attention score ``a_i = x_i·u``; the weights ``α = softmax(a)`` over the
conversation's chunks give the pooled vector ``Σ α_i x_i`` and the logit ``Σ α_i (x_i·w) + b``.
With ``u = 0`` this is mean pooling, so training starts from the mean-pooled logistic regression
and the attention only learns where it lowers the (weighted, L2-penalised) log-loss: the few
lines that matter get the weight instead of being averaged away. Each chunk's share
``α_i (x_i·w)`` is its exact contribution to the logit. Training uses torch on the CPU (or the
GPU when there is one); scoring is numpy.

A linear head on an embedding is a bag of tokens in disguise. With ``hidden`` units the chunk
first goes through one hidden layer ``z_i = gelu(x_i W + c)`` and the same pooling acts on
``z_i`` (``fit_network``): each chunk's share ``α_i (z_i·w)`` is still its exact contribution,
and a window's chunks are still scored one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: Fixed poolings of part logits (``mean`` is attention with ``u = 0``).
TOP_POOLINGS = ("topk", "max")


def top_k_mean(logits: np.ndarray, pooling: str, k: int) -> float:
    """One conversation's part logits → its logit: the mean of the ``k`` highest (``max``: the
    highest; ``mean``: all of them)."""
    if pooling == "mean":
        return float(logits.mean())
    k = 1 if pooling == "max" else min(k, logits.size)
    if k == 1:
        return float(logits.max())
    return float(np.partition(logits, logits.size - k)[-k:].mean())


def pool_groups(
    logits: np.ndarray, owners: np.ndarray, n: int, pooling: str, k: int, empty: float
) -> np.ndarray:
    """``top_k_mean`` of each conversation's rows (rows of one conversation are consecutive);
    ``empty`` for a conversation without parts."""
    counts = np.bincount(owners, minlength=n)
    out = np.full(n, empty, dtype=np.float64)
    for i, own in enumerate(np.split(logits, np.cumsum(counts)[:-1])):
        if own.size:
            out[i] = top_k_mean(own, pooling, k)
    return out


@dataclass(frozen=True)
class AttentionWeights:
    """``u`` (attention), ``w`` (head) and ``b`` (intercept) on the raw chunk embeddings."""

    u: np.ndarray
    w: np.ndarray
    b: float


def segment_softmax(scores: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """Softmax of ``scores`` within each conversation (``owners`` gives each row's)."""
    top = np.full(n, -np.inf)
    np.maximum.at(top, owners, scores)
    exp = np.exp(scores - top[owners])
    total = np.bincount(owners, weights=exp, minlength=n)
    return exp / total[owners]


def pooled_logits(
    x: np.ndarray, owners: np.ndarray, n: int, weights: AttentionWeights
) -> tuple[np.ndarray, np.ndarray]:
    """(each conversation's logit, each chunk's share of it); a conversation without chunks
    gets the intercept."""
    shares = segment_softmax(x @ weights.u, owners, n) * (x @ weights.w)
    return np.bincount(owners, weights=shares, minlength=n) + weights.b, shares


@dataclass(frozen=True)
class HiddenLayer:
    """``gelu(x W + c)`` (tanh form) on the raw chunk embeddings; ``None`` in place of one is
    the identity (a linear head)."""

    weight: np.ndarray
    bias: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        h = x @ self.weight + self.bias
        return 0.5 * h * (1.0 + np.tanh(_GELU_C * (h + 0.044715 * h**3)))


_GELU_C = float(np.sqrt(2.0 / np.pi))


def _torch_pool(values: Any, scores: Any, rows: Any, n: int) -> Any:
    """Softmax of ``scores`` within each conversation, times ``values``, summed per
    conversation (torch, differentiable)."""
    import torch

    top = torch.full((n,), -1e30).scatter_reduce(0, rows, scores, "amax")
    exp = torch.exp(scores - top[rows])
    total = torch.zeros(n).index_add(0, rows, exp)
    return torch.zeros(n).index_add(0, rows, exp / total[rows] * values)


def fit_network(
    x: np.ndarray,
    owners: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray,
    *,
    hidden: int,
    attention: bool,
    dropout: float = 0.1,
    epochs: int = 200,
    lr: float = 3e-3,
    weight_decay: float = 1e-4,
    seed: int = 0,
) -> tuple[HiddenLayer, AttentionWeights]:
    """A hidden layer and a pooled head (mean pooling, or attention when ``attention``)
    trained together by full-batch AdamW on standardised features, with dropout on the input
    and hidden units; the standardisation is folded into the returned layer."""
    import torch

    torch.manual_seed(seed)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    xs = torch.tensor((x - mean) / scale, dtype=torch.float32)
    rows = torch.tensor(owners, dtype=torch.int64)
    n = len(y)
    target = torch.tensor(y, dtype=torch.float32)
    weight = torch.tensor(sample_weight / sample_weight.mean(), dtype=torch.float32)
    layer = torch.nn.Linear(x.shape[1], hidden)
    out = torch.nn.Linear(hidden, 2)  # column 0: the chunk's value, column 1: its attention
    drop = torch.nn.Dropout(dropout)
    act = torch.nn.GELU(approximate="tanh")
    params = [*layer.parameters(), *out.parameters()]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    for _ in range(epochs):
        optimizer.zero_grad()
        both = out(drop(act(layer(drop(xs)))))
        scores = both[:, 1] if attention else torch.zeros(len(xs))
        logits = _torch_pool(both[:, 0], scores, rows, n)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, target, weight=weight
        )
        loss.backward()
        optimizer.step()
    w1 = layer.weight.detach().numpy().T.astype(np.float64)
    head = out.weight.detach().numpy().astype(np.float64)
    bias = out.bias.detach().numpy().astype(np.float64)
    u = head[1] if attention else np.zeros(hidden)
    return (
        HiddenLayer(w1 / scale[:, None], layer.bias.detach().numpy() - (mean / scale) @ w1),
        AttentionWeights(u, head[0], float(bias[0])),
    )


def fit_attention(
    x: np.ndarray,
    owners: np.ndarray,
    y: np.ndarray,
    sample_weight: np.ndarray,
    start: AttentionWeights,
    *,
    C: float,
    epochs: int = 300,
    lr: float = 0.01,
    seed: int = 0,
) -> AttentionWeights:
    """Refine ``start`` (a mean-pooling solution, ``u = 0``) with attention by full-batch Adam
    on standardised features; the penalty ``‖w‖²/2C + ‖u‖²/2C`` matches scikit-learn's ``C``
    (log-loss summed over weighted conversations)."""
    import torch

    torch.manual_seed(seed)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    xs = torch.tensor((x - mean) / scale, dtype=torch.float32)
    rows = torch.tensor(owners, dtype=torch.int64)
    n = len(y)
    target = torch.tensor(y, dtype=torch.float32)
    weight = torch.tensor(sample_weight, dtype=torch.float32)
    # the start's head on standardised features; the shift by the mean moves into b
    w = torch.tensor(start.w * scale, dtype=torch.float32, requires_grad=True)
    b = torch.tensor(start.b + float(mean @ start.w), dtype=torch.float32, requires_grad=True)
    u = torch.zeros(x.shape[1], dtype=torch.float32, requires_grad=True)
    optimizer = torch.optim.Adam([w, b, u], lr=lr)
    for _ in range(epochs):
        optimizer.zero_grad()
        logits = _torch_pool(xs @ w, xs @ u, rows, n) + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, target, weight=weight, reduction="sum"
        )
        loss = loss + ((w * w).sum() + (u * u).sum()) / (2 * C)
        loss.backward()
        optimizer.step()
    w_raw = w.detach().numpy().astype(np.float64) / scale
    u_raw = u.detach().numpy().astype(np.float64) / scale  # a constant shift leaves α alone
    return AttentionWeights(u_raw, w_raw, float(b.detach()) - float(mean @ w_raw))
