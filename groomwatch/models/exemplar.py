"""``exemplar``: a few-label detector in the style of Roblox Sentinel.

Each message is compared with two indexes of labelled exemplar messages: grooming lines
(messages marked ``grooming=1``, or all messages of grooming conversations when lines are not
marked) and lines of non-grooming conversations. A message's score is the log-ratio of its
mean top-k similarity to each index, clipped at 0, so only messages nearer to grooming than
to normal chat count; a conversation's score is the mean of its ``top_messages`` highest
message scores. It needs only a few hundred labelled conversations, and its explanations
point at the nearest exemplars, which a reviewer can read.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np

from groomwatch.data.record import Conversation, Message
from groomwatch.errors import ConfigError, InputError
from groomwatch.models.base import Detector, WindowScorer, conversation_labels
from groomwatch.models.calibration import METHODS, Calibrator, fit_calibrator
from groomwatch.models.embedders import (
    EMBEDDERS,
    Embedder,
    StaticEmbedder,
    encode_unique,
    make_embedder,
)
from groomwatch.models.params import choice, positive_int

INDEX_FILE = "exemplars.npz"
TEXTS_FILE = "exemplars.json"
#: Keeps the log defined when a message is orthogonal or opposite to every exemplar.
MIN_SIMILARITY = 1e-3


@dataclass
class Explanation:
    """Why one message scored as it did: its score and its nearest exemplar on each side."""

    message_index: int
    score: float
    nearest_grooming_id: str
    grooming_similarity: float
    nearest_normal_id: str
    normal_similarity: float
    #: Exemplar texts, only when the detector was trained with ``keep_texts=True``.
    nearest_grooming: str | None = None
    nearest_normal: str | None = None


class ExemplarDetector(Detector):
    name = "exemplar"

    def __init__(
        self,
        embedder: str = "static",
        k: int = 5,
        top_messages: int = 3,
        max_exemplars: int = 20_000,
        calibration: str = "sigmoid",
        seed: int = 0,
        keep_texts: bool = False,
    ) -> None:
        """``keep_texts`` stores the exemplar messages' text in the saved model so explanations
        can quote them; off by default, because a model trained on a real corpus would then
        carry its chat text into every copy and MLflow artifact. IDs are always kept."""
        self.embedder_kind = choice("embedder", embedder, EMBEDDERS)
        self.k = positive_int("k", k)
        self.top_messages = positive_int("top_messages", top_messages)
        self.max_exemplars = positive_int("max_exemplars", max_exemplars)
        self.calibration = choice("calibration", calibration, METHODS)
        self.seed = seed
        self.keep_texts = bool(keep_texts)
        self._embedder: Embedder | None = None
        self.indexes: dict[str, np.ndarray] = {}
        self.texts: dict[str, list[str]] = {}
        self.ids: dict[str, list[str]] = {}
        self.calibrator: Calibrator | None = None

    def get_params(self) -> dict[str, Any]:
        return {
            "embedder": self.embedder_kind,
            "k": self.k,
            "top_messages": self.top_messages,
            "max_exemplars": self.max_exemplars,
            "calibration": self.calibration,
            "seed": self.seed,
            "keep_texts": self.keep_texts,
        }

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.embedder_kind)
        return self._embedder

    # -- learning ------------------------------------------------------------------------------
    def fit(
        self,
        train: Sequence[Conversation],
        validation: Sequence[Conversation],
        sample_weight: np.ndarray | None = None,
    ) -> Self:
        if sample_weight is not None:
            raise ConfigError(f"{self.name} keeps exemplars, it cannot weight sources")
        conversation_labels(train, "train")
        y_val = conversation_labels(validation, "validation")
        rng = np.random.default_rng(self.seed)
        for side, lines in _exemplar_lines(train).items():
            if len(lines) > self.max_exemplars:
                keep = np.sort(rng.choice(len(lines), self.max_exemplars, replace=False))
                lines = [lines[i] for i in keep]
            texts = [text for _, text in lines]
            self.ids[side] = [line_id for line_id, _ in lines]
            self.indexes[side] = encode_unique(self.embedder, texts)
            if self.keep_texts:
                self.texts[side] = texts
        self.calibrator = fit_calibrator(
            self.decision_function(validation), y_val, self.calibration
        )
        return self

    # -- scoring -------------------------------------------------------------------------------
    def decision_function(self, conversations: Sequence[Conversation]) -> np.ndarray:
        """Mean of each conversation's ``top_messages`` highest message scores."""
        self._check_fitted()
        texts = [t for conv in conversations for t in conv.texts]
        scores = self._message_scores(texts) if texts else np.zeros(0)
        out, start = np.zeros(len(conversations)), 0
        for i, conv in enumerate(conversations):
            own = scores[start : start + len(conv.messages)]
            start += len(conv.messages)
            if len(own):
                out[i] = np.sort(own)[-self.top_messages :].mean()
        return out

    def predict_proba(self, conversations: Sequence[Conversation]) -> np.ndarray:
        return self.calibrator(self.decision_function(conversations))

    def score_messages(self, conversation: Conversation) -> np.ndarray:
        self._check_fitted()
        return self._message_scores(conversation.texts) if conversation.messages else np.zeros(0)

    def explain(self, conversation: Conversation) -> list[Explanation]:
        """Per message: its score and the nearest grooming and normal exemplars."""
        self._check_fitted()
        if not conversation.messages:
            return []
        vectors = encode_unique(self.embedder, conversation.texts)
        scores = self._scores_from_vectors(vectors)
        nearest = {
            side: (np.argmax(sims, axis=1), np.max(sims, axis=1))
            for side, sims in self._similarities(vectors).items()
        }
        def text(side: str, i: int) -> str | None:
            return self.texts[side][nearest[side][0][i]] if self.texts else None

        return [
            Explanation(
                message_index=i,
                score=float(scores[i]),
                nearest_grooming_id=self.ids["grooming"][nearest["grooming"][0][i]],
                grooming_similarity=float(nearest["grooming"][1][i]),
                nearest_normal_id=self.ids["normal"][nearest["normal"][0][i]],
                normal_similarity=float(nearest["normal"][1][i]),
                nearest_grooming=text("grooming", i),
                nearest_normal=text("normal", i),
            )
            for i in range(len(conversation.messages))
        ]

    def window_scorer(self, window: int = 50) -> WindowScorer:
        self._check_fitted()
        return ExemplarWindow(self, positive_int("window", window))

    def _message_scores(self, texts: list[str]) -> np.ndarray:
        return self._scores_from_vectors(encode_unique(self.embedder, texts))

    def _similarities(self, vectors: np.ndarray) -> dict[str, np.ndarray]:
        return {side: vectors @ index.T for side, index in self.indexes.items()}

    def _scores_from_vectors(self, vectors: np.ndarray) -> np.ndarray:
        top = {}
        for side, sims in self._similarities(vectors).items():
            k = min(self.k, sims.shape[1])
            top[side] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
        ratio = np.log(np.maximum(top["grooming"], MIN_SIMILARITY)) - np.log(
            np.maximum(top["normal"], MIN_SIMILARITY)
        )
        return np.maximum(ratio, 0.0)

    def _check_fitted(self) -> None:
        if not self.indexes:
            raise RuntimeError(f"{self.name}: call fit() or load() before scoring")

    # -- persistence ---------------------------------------------------------------------------
    def _save_state(self, directory: Path) -> None:
        np.savez(directory / INDEX_FILE, **self.indexes)
        (directory / TEXTS_FILE).write_text(json.dumps({"texts": self.texts, "ids": self.ids}))
        self.calibrator.save(directory)
        if isinstance(self.embedder, StaticEmbedder):
            self.embedder.save(directory)

    def _load_state(self, directory: Path) -> None:
        with np.load(directory / INDEX_FILE) as arrays:
            self.indexes = {side: arrays[side] for side in arrays.files}
        stored = json.loads((directory / TEXTS_FILE).read_text())
        self.texts, self.ids = stored["texts"], stored["ids"]
        self.calibrator = Calibrator.load(directory)
        if self.embedder_kind == "static":
            self._embedder = StaticEmbedder.load(directory)


class ExemplarWindow(WindowScorer):
    """Message scores do not depend on their neighbours: score only the new message."""

    def __init__(self, detector: ExemplarDetector, window: int) -> None:
        self.detector = detector
        self.scores: deque[float] = deque(maxlen=window)

    def update(self, message: Message, participants: Sequence[Any] = ()) -> float:
        self.scores.append(float(self.detector._message_scores([message.text])[0]))
        top = np.sort(np.fromiter(self.scores, float))[-self.detector.top_messages :].mean()
        return float(self.detector.calibrator(np.array([top]))[0])


def _exemplar_lines(train: Sequence[Conversation]) -> dict[str, list[tuple[str, str]]]:
    """Distinct (id, text) grooming and normal exemplar lines; ids are ``conversation_id:index``
    of a text's first occurrence."""
    marked = any(m.grooming == 1 for c in train if c.label == 1 for m in c.messages)
    found: dict[str, dict[str, str]] = {"grooming": {}, "normal": {}}
    for conv in train:
        for i, message in enumerate(conv.messages):
            if conv.label == 0:
                side = "normal"
            elif message.grooming == 1 or not marked:
                side = "grooming"
            else:
                continue
            found[side].setdefault(message.text, f"{conv.conversation_id}:{i}")
    for side, texts in found.items():
        if not texts:
            raise InputError(f"train: no {side} exemplar messages to index")
    return {side: [(i, t) for t, i in texts.items()] for side, texts in found.items()}
