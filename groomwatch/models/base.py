"""The one small interface every detector implements.

A detector learns from conversation records and returns a *calibrated* probability that a
conversation is grooming, plus the explanations reviewers and reports need: each message's
contribution and a score per participant (offender identification, PAN12 task 1).
Its shape follows scikit-learn's estimator contract: configuration in ``__init__``,
learning in ``fit``, and nothing learned before ``fit``.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.errors import InputError

DETECTOR_FILE = "detector.json"


class Detector(ABC):
    """Base class: subclasses set ``name`` and implement the abstract methods."""

    name: ClassVar[str]
    #: Decision threshold on the calibrated probability; training sets it on validation data.
    threshold: float = 0.5

    @abstractmethod
    def fit(
        self,
        train: Sequence[Conversation],
        validation: Sequence[Conversation],
        sample_weight: np.ndarray | None = None,
    ) -> Self:
        """Learn from ``train``; calibrate probabilities (and nothing else) on ``validation``.

        ``sample_weight`` (one per training conversation) lets some sources count more, e.g.
        hard negatives; a detector that cannot weight raises ConfigError when given one.
        """

    @abstractmethod
    def predict_proba(self, conversations: Sequence[Conversation]) -> np.ndarray:
        """Calibrated probability of grooming, one float per conversation, shape ``(n,)``."""

    @abstractmethod
    def score_messages(self, conversation: Conversation) -> np.ndarray:
        """Each message's contribution to the conversation's score, shape ``(n_messages,)``.

        Positive values push towards grooming; the scale is the detector's own (e.g. logit
        contributions), so compare within a conversation, not across detectors.
        """

    def score_authors(self, conversation: Conversation) -> dict[str, float]:
        """A grooming probability per participant, from that participant's messages alone."""
        authors = [p.author_id for p in conversation.participants]
        views = [_only_author(conversation, author) for author in authors]
        return dict(zip(authors, self.predict_proba(views).tolist(), strict=True))

    def window_scorer(self, window: int = 50) -> WindowScorer:
        """A scorer fed one message at a time that scores the last ``window`` messages.

        The default re-scores the whole window; detectors that can update their features
        incrementally (``tfidf-lr``) override this.
        """
        return RescoringWindowScorer(self, window)

    # -- persistence -------------------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """Write the detector to ``directory``: ``detector.json`` plus the subclass's files."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        header = {
            "name": self.name,
            "threshold": float(self.threshold),
            "params": self.get_params(),
        }
        (directory / DETECTOR_FILE).write_text(json.dumps(header, indent=2) + "\n")
        self._save_state(directory)

    @classmethod
    def load(cls, directory: str | Path) -> Self:
        header = read_header(directory)
        detector = cls(**header["params"])
        detector.threshold = float(header["threshold"])
        detector._load_state(Path(directory))
        return detector

    @abstractmethod
    def get_params(self) -> dict[str, Any]:
        """Constructor arguments, JSON-serialisable, so ``cls(**get_params())`` rebuilds it."""

    @abstractmethod
    def _save_state(self, directory: Path) -> None:
        """Write the learned state (weights, vocabularies, calibrator)."""

    @abstractmethod
    def _load_state(self, directory: Path) -> None:
        """Read what ``_save_state`` wrote."""


def read_header(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / DETECTOR_FILE
    if not path.is_file():
        raise InputError(f"{directory}: not a saved detector (no {DETECTOR_FILE})")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg})") from None


def conversation_labels(conversations: Sequence[Conversation], split: str) -> np.ndarray:
    """The 0/1 labels of a training or validation split; unlabelled records are an InputError."""
    missing = [c.conversation_id for c in conversations if c.label is None]
    if missing:
        raise InputError(
            f"{split}: {len(missing)} conversation(s) have no label, e.g. {missing[0]!r}"
        )
    labels = np.array([c.label for c in conversations], dtype=np.int64)
    if len(np.unique(labels)) < 2:
        raise InputError(f"{split}: needs both grooming (1) and non-grooming (0) conversations")
    return labels


def _only_author(conversation: Conversation, author_id: str) -> Conversation:
    return Conversation(
        conversation_id=f"{conversation.conversation_id}#{author_id}",
        participants=[conversation.participant(author_id)],
        messages=[m for m in conversation.messages if m.author_id == author_id],
        language=conversation.language,
        platform=conversation.platform,
        source=conversation.source,
    )


class WindowScorer(ABC):
    """Scores a growing conversation after each message over a sliding window."""

    @abstractmethod
    def update(self, message: Message, participants: Sequence[Any] = ()) -> float:
        """Add one message and return the calibrated probability for the current window."""


class RescoringWindowScorer(WindowScorer):
    """Generic fallback: keeps the last ``window`` messages and re-scores them all."""

    def __init__(self, detector: Detector, window: int) -> None:
        self.detector = detector
        self.messages: deque[Message] = deque(maxlen=window)

    def update(self, message: Message, participants: Sequence[Any] = ()) -> float:
        self.messages.append(message)
        authors = {m.author_id for m in self.messages}
        view = Conversation(
            conversation_id="window",
            participants=[Participant(author_id=a) for a in sorted(authors)],
            messages=list(self.messages),
        )
        return float(self.detector.predict_proba([view])[0])
