"""Shared core of ``embedding-lr`` and ``static-lr``: chunk embeddings, pooled, + a linear head.

A conversation is cut into chunks of consecutive messages (``messages_per_chunk``; one message
for ``static-lr``) and each chunk is embedded. How chunks become one conversation score is the
``pooling`` (multiple-instance learning when it is not ``mean``):

* ``attention`` (learned): each chunk gets a weight ``softmax(x·u)`` within its conversation and
  the logit is the weighted sum of the chunks' ``x·w`` (see ``mil.py``). It starts from
  mean pooling and learns to put the weight on the lines that matter.
* ``topk`` / ``max``: a logistic regression scores each chunk, trained on chunks that inherit
  their conversation's label (each conversation's chunks share a weight of one), and the
  conversation's logit is the mean of its ``top_k`` highest chunk logits (``max``: the highest).
* ``mean``: one logistic regression on the mean of the chunk vectors.

With ``hidden: n`` (> 0) the head is not linear in the embedding: each chunk first passes
through one hidden layer of ``n`` GELU units trained with the pooling (``mean`` or
``attention``; ``mil.fit_network``). On real chat this is what lifts the embeddings to TF-IDF's
level: a linear head on an averaged embedding is a weaker bag of words.

The pooling stays a weighted sum of per-chunk numbers, so every message's contribution is
exact: its chunk's share of the logit (``α_i x_i·w``, or ``α_i z_i·w`` with a hidden layer;
``x_i·w/n`` for mean pooling; the chunk's own logit for top-k), and an early-warning window
embeds only the new message (one-message chunks).
"""

from __future__ import annotations

from abc import abstractmethod
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from groomwatch.data.record import Conversation, Message
from groomwatch.errors import ConfigError
from groomwatch.models.base import Detector, WindowScorer, conversation_labels
from groomwatch.models.calibration import Calibrator, fit_calibrator
from groomwatch.models.embedders import Embedder, encode_unique
from groomwatch.models.linear_head import LogisticHead
from groomwatch.models.mil import (
    TOP_POOLINGS,
    AttentionWeights,
    HiddenLayer,
    fit_attention,
    fit_network,
    pool_groups,
    pooled_logits,
)
from groomwatch.models.params import choice, count, positive_int, unit_fraction

WEIGHTS_FILE = "linear.npz"
#: poolings a hidden layer is trained with (top-k is not differentiable the same way)
HIDDEN_POOLINGS = ("attention", "mean")
POOLINGS = ("attention", "topk", "max", "mean")


class PooledEmbeddingDetector(Detector):
    """Subclasses say how to build, save and load their embedder."""

    def __init__(
        self,
        messages_per_chunk: int = 1,
        pooling: str = "attention",
        top_k: int = 3,
        attention_epochs: int = 300,
        hidden: int = 0,
        dropout: float = 0.1,
        hidden_epochs: int = 200,
        C: float = 10.0,
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
        calibration: str = "sigmoid",
        seed: int = 0,
    ) -> None:
        self.messages_per_chunk = positive_int("messages_per_chunk", messages_per_chunk)
        self.pooling = choice("pooling", pooling, POOLINGS)
        self.top_k = positive_int("top_k", top_k)
        self.attention_epochs = positive_int("attention_epochs", attention_epochs)
        self.hidden = count("hidden", hidden)
        if self.hidden and self.pooling not in HIDDEN_POOLINGS:
            raise ConfigError(
                f"hidden: a hidden layer pools by {' or '.join(HIDDEN_POOLINGS)}, "
                f"not {self.pooling!r}"
            )
        self.dropout = unit_fraction("dropout", dropout)
        self.hidden_epochs = positive_int("hidden_epochs", hidden_epochs)
        #: the hidden layer (``None``: a linear head on the embedding)
        self.layer: HiddenLayer | None = None
        self.head = LogisticHead(C, class_weight, max_iter, calibration, seed)
        self.coef: np.ndarray | None = None
        #: attention vector ``u`` (zeros unless ``pooling: attention``)
        self.attention: np.ndarray | None = None
        self.intercept = 0.0
        self.calibrator: Calibrator | None = None

    def get_params(self) -> dict[str, Any]:
        return {
            "messages_per_chunk": self.messages_per_chunk,
            "pooling": self.pooling,
            "top_k": self.top_k,
            "attention_epochs": self.attention_epochs,
            "hidden": self.hidden,
            "dropout": self.dropout,
            "hidden_epochs": self.hidden_epochs,
            **self.head.params(),
        }

    @property
    def instance_level(self) -> bool:
        """Whether each chunk is scored on its own and the top ones pooled."""
        return self.pooling in TOP_POOLINGS

    @property
    @abstractmethod
    def embedder(self) -> Embedder:
        """The text embedder (built lazily: loading a transformer costs seconds)."""

    # -- learning ------------------------------------------------------------------------------
    def fit(
        self,
        train: Sequence[Conversation],
        validation: Sequence[Conversation],
        sample_weight: np.ndarray | None = None,
    ) -> Self:
        y_train = conversation_labels(train, "train")
        y_val = conversation_labels(validation, "validation")
        weights = np.ones(len(train)) if sample_weight is None else np.asarray(sample_weight)
        vectors, owners = self.chunk_vectors(train)
        balance = _class_balance(y_train) if self.head.class_weight == "balanced" else 1.0
        if self.hidden:
            self.layer, fitted = fit_network(
                vectors, owners, y_train, weights * balance, hidden=self.hidden,
                attention=self.pooling == "attention", dropout=self.dropout,
                epochs=self.hidden_epochs, seed=self.head.seed,
            )
        else:
            if self.instance_level:
                self._fit_linear(vectors, y_train[owners], _spread(weights, owners, len(train)))
            else:
                self._fit_linear(_mean_rows(vectors, owners, len(train)), y_train, weights)
            fitted = AttentionWeights(np.zeros_like(self.coef), self.coef, self.intercept)
            if self.pooling == "attention":
                fitted = fit_attention(
                    vectors, owners, y_train, weights * balance, fitted,
                    C=self.head.C, epochs=self.attention_epochs, seed=self.head.seed,
                )
        self.attention, self.coef, self.intercept = fitted.u, fitted.w, fitted.b
        self.calibrator = fit_calibrator(
            self.decision_function(validation), y_val, self.head.calibration
        )
        return self

    def _fit_linear(self, vectors: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> None:
        # Standardise so the penalty treats every dimension alike (pooled embeddings vary
        # little), then fold the scaling into the weights: scoring stays linear in the raw
        # vector, which keeps message shares and the incremental windows exact.
        mean, scale = vectors.mean(axis=0), vectors.std(axis=0) + 1e-6
        model = self.head.fit((vectors - mean) / scale, labels, weights)
        self.coef = model.coef_[0] / scale
        self.intercept = float(model.intercept_[0] - mean @ self.coef)

    # -- scoring -------------------------------------------------------------------------------
    def chunk_vectors(self, conversations: Sequence[Conversation]) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk's embedding, and the index of the conversation each chunk belongs to
        (chunks of one conversation are consecutive rows)."""
        chunks, owners = [], []
        for i, conv in enumerate(conversations):
            texts = conv.texts
            for start in range(0, len(texts), self.messages_per_chunk):
                chunks.append("\n".join(texts[start : start + self.messages_per_chunk]))
                owners.append(i)
        embedded = encode_unique(self.embedder, chunks)
        if not chunks:
            embedded = np.zeros((0, self._dim()), dtype=np.float32)
        return embedded, np.asarray(owners, dtype=np.int64)

    def decision_function(self, conversations: Sequence[Conversation]) -> np.ndarray:
        """The uncalibrated logit per conversation."""
        self._check_fitted()
        if not conversations:
            return np.zeros(0)
        embedded, owners = self.chunk_vectors(conversations)
        return self._pooled(embedded, owners, len(conversations))[0]

    def _pooled(
        self, embedded: np.ndarray, owners: np.ndarray, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(each conversation's logit, each chunk's contribution) from chunk embeddings."""
        if self.layer is not None:
            embedded = self.layer(embedded)
        if not self.instance_level:
            weights = AttentionWeights(self.attention, self.coef, self.intercept)
            return pooled_logits(embedded, owners, n, weights)
        logits = embedded @ self.coef + self.intercept
        return pool_groups(logits, owners, n, self.pooling, self.top_k, self.intercept), logits

    def predict_proba(self, conversations: Sequence[Conversation]) -> np.ndarray:
        return self.calibrator(self.decision_function(conversations))

    def score_messages(self, conversation: Conversation) -> np.ndarray:
        """Each message's chunk's contribution to the logit (see the module docstring)."""
        self._check_fitted()
        if not conversation.messages:
            return np.zeros(0)
        embedded, owners = self.chunk_vectors([conversation])
        shares = self._pooled(embedded, owners, 1)[1]
        sizes = np.diff(
            np.r_[0:len(conversation.messages):self.messages_per_chunk, len(conversation.messages)]
        )
        # a chunk's share of the logit is split evenly among its messages (exact sums); top-k
        # pooling is not a sum, so there each message shows its chunk's own logit
        return np.repeat(shares if self.instance_level else shares / sizes, sizes)

    def window_scorer(self, window: int = 50) -> WindowScorer:
        if self.messages_per_chunk == 1:
            return PooledWindow(self, positive_int("window", window))
        return super().window_scorer(window)

    def _dim(self) -> int:
        if self.layer is not None:
            return self.layer.weight.shape[0]
        return len(self.coef) if self.coef is not None else 0

    def _check_fitted(self) -> None:
        if self.coef is None:
            raise RuntimeError(f"{self.name}: call fit() or load() before scoring")

    # -- persistence ---------------------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        np.savez(
            directory / WEIGHTS_FILE,
            coef=self.coef, intercept=self.intercept, attention=self.attention,
            **({} if self.layer is None else
               {"hidden_weight": self.layer.weight, "hidden_bias": self.layer.bias}),
        )
        self.calibrator.save(directory)

    def _load_state(self, directory: Path) -> None:
        weights = np.load(directory / WEIGHTS_FILE)
        self.coef, self.intercept = weights["coef"], float(weights["intercept"])
        # detectors saved before attention pooling existed pooled by the mean: u = 0
        has = "attention" in weights.files
        self.attention = weights["attention"] if has else np.zeros_like(self.coef)
        if "hidden_weight" in weights.files:
            self.layer = HiddenLayer(weights["hidden_weight"], weights["hidden_bias"])
        self.calibrator = Calibrator.load(directory)


class PooledWindow(WindowScorer):
    """One-message chunks: embed only the new message, keep the window's per-message numbers
    (head and attention dot products) and pool them as ``decision_function`` does."""

    def __init__(self, detector: PooledEmbeddingDetector, window: int) -> None:
        self.detector = detector
        self.vectors: deque[np.ndarray] = deque(maxlen=window)

    def update(self, message: Message, participants: Sequence[Any] = ()) -> float:
        self.vectors.append(self.detector.embedder.encode([message.text])[0])
        stacked = np.stack(self.vectors)
        logit = self.detector._pooled(stacked, np.zeros(len(stacked), dtype=np.int64), 1)[0]
        return float(self.detector.calibrator(logit)[0])


def _mean_rows(vectors: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """Mean of each conversation's chunk vectors (zeros for a conversation without chunks)."""
    sums = np.zeros((n, vectors.shape[1]))
    np.add.at(sums, owners, vectors)
    return sums / np.maximum(np.bincount(owners, minlength=n), 1)[:, None]


def _spread(weights: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """Each conversation's weight shared by its chunks: long chats do not dominate, and the
    penalty keeps its strength (the chunks' weights sum to the conversations')."""
    counts = np.maximum(np.bincount(owners, minlength=n), 1)
    return (weights / counts)[owners]


def _class_balance(labels: np.ndarray) -> np.ndarray:
    """scikit-learn's ``class_weight="balanced"`` per sample."""
    counts = np.bincount(labels, minlength=2).clip(min=1)
    return (len(labels) / (2 * counts))[labels]
