"""Shared core of ``embedding-lr`` and ``static-lr``: pooled embeddings + logistic regression.

A conversation is cut into chunks of consecutive messages; each chunk is embedded and the
conversation vector is the mean of its chunks' vectors. Mean pooling and a linear model keep
message explanations exact: a message embedded on its own, dotted with the coefficients and
divided by the message count, is its share of the logit (exactly so with one-message chunks).
"""

from __future__ import annotations

from abc import abstractmethod
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np

from groomwatch.data.record import Conversation, Message
from groomwatch.models.base import Detector, WindowScorer, conversation_labels
from groomwatch.models.calibration import Calibrator, fit_calibrator
from groomwatch.models.embedders import Embedder, encode_unique
from groomwatch.models.linear_head import LogisticHead
from groomwatch.models.params import positive_int

WEIGHTS_FILE = "linear.npz"


class PooledEmbeddingDetector(Detector):
    """Subclasses say how to build, save and load their embedder."""

    def __init__(
        self,
        messages_per_chunk: int = 1,
        C: float = 10.0,
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
        calibration: str = "sigmoid",
        seed: int = 0,
    ) -> None:
        self.messages_per_chunk = positive_int("messages_per_chunk", messages_per_chunk)
        self.head = LogisticHead(C, class_weight, max_iter, calibration, seed)
        self.coef: np.ndarray | None = None
        self.intercept = 0.0
        self.calibrator: Calibrator | None = None

    def get_params(self) -> dict[str, Any]:
        return {
            "messages_per_chunk": self.messages_per_chunk,
            **self.head.params(),
        }

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
        vectors = self.conversation_vectors(train)
        # Standardise so the penalty treats every dimension alike (pooled embeddings vary
        # little), then fold the scaling into the weights: scoring stays linear in the raw
        # pooled vector, which keeps message shares and the running-mean window exact.
        mean, scale = vectors.mean(axis=0), vectors.std(axis=0) + 1e-6
        model = self.head.fit((vectors - mean) / scale, y_train, sample_weight)
        self.coef = model.coef_[0] / scale
        self.intercept = float(model.intercept_[0] - mean @ self.coef)
        self.calibrator = fit_calibrator(
            self.decision_function(validation), y_val, self.head.calibration
        )
        return self

    # -- scoring -------------------------------------------------------------------------------
    def conversation_vectors(self, conversations: Sequence[Conversation]) -> np.ndarray:
        """Mean of chunk embeddings per conversation (zeros for an empty conversation)."""
        chunks, owners = [], []
        for i, conv in enumerate(conversations):
            texts = conv.texts
            for start in range(0, len(texts), self.messages_per_chunk):
                chunks.append("\n".join(texts[start : start + self.messages_per_chunk]))
                owners.append(i)
        embedded = encode_unique(self.embedder, chunks)
        vectors = np.zeros((len(conversations), embedded.shape[1] if chunks else self._dim()))
        np.add.at(vectors, np.asarray(owners, dtype=np.int64), embedded)
        counts = np.bincount(owners, minlength=len(conversations))
        return vectors / np.maximum(counts, 1)[:, None]

    def decision_function(self, conversations: Sequence[Conversation]) -> np.ndarray:
        """The uncalibrated logit per conversation."""
        self._check_fitted()
        if not conversations:
            return np.zeros(0)
        return self.conversation_vectors(conversations) @ self.coef + self.intercept

    def predict_proba(self, conversations: Sequence[Conversation]) -> np.ndarray:
        return self.calibrator(self.decision_function(conversations))

    def score_messages(self, conversation: Conversation) -> np.ndarray:
        self._check_fitted()
        if not conversation.messages:
            return np.zeros(0)
        embedded = encode_unique(self.embedder, conversation.texts)
        return embedded @ self.coef / len(conversation.messages)

    def window_scorer(self, window: int = 50) -> WindowScorer:
        if self.messages_per_chunk == 1:
            return MeanPoolWindow(self, positive_int("window", window))
        return super().window_scorer(window)

    def _dim(self) -> int:
        return len(self.coef) if self.coef is not None else 0

    def _check_fitted(self) -> None:
        if self.coef is None:
            raise RuntimeError(f"{self.name}: call fit() or load() before scoring")

    # -- persistence ---------------------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        np.savez(directory / WEIGHTS_FILE, coef=self.coef, intercept=self.intercept)
        self.calibrator.save(directory)

    def _load_state(self, directory: Path) -> None:
        weights = np.load(directory / WEIGHTS_FILE)
        self.coef, self.intercept = weights["coef"], float(weights["intercept"])
        self.calibrator = Calibrator.load(directory)


class MeanPoolWindow(WindowScorer):
    """With one-message chunks the window vector is a running mean: embed only the new message."""

    def __init__(self, detector: PooledEmbeddingDetector, window: int) -> None:
        self.detector = detector
        self.window = window
        self.logits: deque[float] = deque()
        self.total = 0.0

    def update(self, message: Message, participants: Sequence[Any] = ()) -> float:
        # The logit is linear in the mean, so the window keeps per-message dot products only.
        vector = self.detector.embedder.encode([message.text])[0]
        self.logits.append(float(vector @ self.detector.coef))
        self.total += self.logits[-1]
        if len(self.logits) > self.window:
            self.total -= self.logits.popleft()
        logit = self.total / len(self.logits) + self.detector.intercept
        return float(self.detector.calibrator(np.array([logit]))[0])
