"""Early warning (the eSPD rule) around any detector.

After each message the detector scores the window of the last ``window`` messages; a warning
fires once at least ``s`` of the last ``history`` window scores reach the threshold, and then
stays on. Batch (``run``) and streaming (``stream``) share one code path, so a served stream
warns on exactly the message an offline evaluation says it would. Window scores come from the
detector's ``window_scorer``, which ``tfidf-lr`` updates incrementally. Its scorer is also
resumable (``ResumableWindowScorer``): its state goes to bytes and back, so a stream served by
several workers keeps it in a shared store and scores each message as one process would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol, runtime_checkable

import numpy as np

from groomwatch.data.record import Conversation, Message
from groomwatch.errors import ConfigError
from groomwatch.models.base import Detector, RescoringWindowScorer, WindowScorer
from groomwatch.models.params import positive_int


@dataclass
class WarningResult:
    """``warning_at`` is k, the number of messages seen when the warning fired (1-based, as
    ERDE and F_latency count), or None if it never fired."""

    warned: bool
    warning_at: int | None
    window_scores: np.ndarray = field(repr=False)


@runtime_checkable
class ResumableWindowScorer(Protocol):
    """A window scorer whose state, all but the window's texts, fits in a few kilobytes of
    bytes; resumed from them with those texts, it scores the next message exactly as the
    scorer that wrote them would have."""

    def update(self, message: Message, participants: Sequence[Any] = ()) -> float: ...

    def state(self) -> bytes: ...

    def resume(self, state: bytes, texts: Sequence[str]) -> None:
        """Raises ValueError for a state of another model, window length or window."""


@cache
def resumable(kind: type) -> bool:
    """Whether scorers of this class are ``ResumableWindowScorer`` (an ``isinstance`` check
    against a protocol inspects the attributes every time: too slow for every append)."""
    return issubclass(kind, ResumableWindowScorer)


def resume_window(detector: Detector, window: int, messages: Sequence[Message],
                  state: bytes | None) -> WindowScorer:
    """``detector``'s window scorer as it stands once it has seen ``messages`` (the window,
    oldest first): resumed from ``state`` if its scorer is resumable (rebuilt from the messages
    when ``state`` is missing or stale: another model's), else one that rescores the window."""
    scorer = detector.window_scorer(window)
    if not resumable(type(scorer)):
        rescoring = RescoringWindowScorer(detector, window)
        rescoring.messages.extend(messages)
        return rescoring
    if state is not None:
        try:
            scorer.resume(state, [m.text for m in messages])
            return scorer
        except ValueError:
            scorer = detector.window_scorer(window)
    for message in messages:
        scorer.update(message)
    return scorer


class EarlyWarning:
    def __init__(
        self,
        detector: Detector,
        window: int = 50,
        history: int = 10,
        s: int = 3,
        threshold: float | None = None,
    ) -> None:
        self.detector = detector
        self.window = positive_int("window", window)
        self.history = positive_int("history", history)
        self.s = positive_int("s", s)
        if self.s > self.history:
            raise ConfigError(f"s must be at most history ({self.history}), not {s}")
        self.threshold = float(detector.threshold if threshold is None else threshold)
        if not 0.0 <= self.threshold <= 1.0:
            raise ConfigError(f"threshold must be a probability in [0, 1], not {threshold}")

    def fires(self, scores: Sequence[float]) -> bool:
        """The rule itself: at least ``s`` of the last ``history`` window scores reach the
        threshold (shared by in-memory streams and the review service's stored ones)."""
        recent = scores[-self.history:]
        return sum(score >= self.threshold for score in recent) >= self.s

    def stream(self) -> WarningStream:
        """A fresh state for one conversation fed message by message."""
        return WarningStream(self)

    def run(self, conversation: Conversation) -> WarningResult:
        stream = self.stream()
        for message in conversation.messages:
            stream.push(message)
        return stream.result()


class WarningStream:
    """Per-conversation state: the detector's window scorer plus the window scores so far."""

    def __init__(self, rule: EarlyWarning) -> None:
        self.rule = rule
        self.scorer = rule.detector.window_scorer(rule.window)
        self.scores: list[float] = []
        self.warning_at: int | None = None

    def push(self, message: Message) -> tuple[float, bool]:
        """Add one message; returns its window score and whether the warning is on."""
        score = self.scorer.update(message)
        self.scores.append(score)
        if self.warning_at is None and self.rule.fires(self.scores):
            self.warning_at = len(self.scores)
        return score, self.warning_at is not None

    def result(self) -> WarningResult:
        return WarningResult(
            warned=self.warning_at is not None,
            warning_at=self.warning_at,
            window_scores=np.array(self.scores),
        )
