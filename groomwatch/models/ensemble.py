"""``ensemble``: member detectors stacked by a logistic regression on their validation scores.

Every member is fitted on ``train`` (calibrating on ``validation`` as usual); the stacker then
learns how much each member's score counts from the **validation** split, which no member was
fitted on, so it does not learn to trust a member that merely remembers its training data (the
leak of stacking on in-sample scores). A member's score is the logit of its calibrated
probability, so the stacker's weights are comparable and its output is itself a calibrated
probability (Platt scaling is a logistic regression on one logit; this one has a logit per
member). Its few weights are fitted on the split the threshold is later chosen on: with
hundreds of validation conversations and two or three weights, that optimism is small.

A message's contribution is the stacker-weighted sum of its members' contributions; the early
warning window feeds each member's own window scorer (incremental where the member's is).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
from sklearn.linear_model import LogisticRegression

from groomwatch.data.record import Conversation, Message
from groomwatch.errors import ConfigError
from groomwatch.models.base import Detector, WindowScorer, conversation_labels
from groomwatch.models.params import positive_float
from groomwatch.models.registry import create_detector, load_detector

STACK_FILE = "stack.json"
#: the members when none are given: the fast default and the high-volume neural detector
DEFAULT_MEMBERS = ({"model": "tfidf-lr"}, {"model": "static-lr"})
_EPS = 1e-6


def member_logits(probabilities: np.ndarray) -> np.ndarray:
    """The logit of a calibrated probability, clipped so 0 and 1 stay finite."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


class StackedDetector(Detector):
    name = "ensemble"

    def __init__(
        self,
        members: Sequence[dict[str, Any]] = DEFAULT_MEMBERS,
        C: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.members_config = [_member_config(m) for m in members]
        if len(self.members_config) < 2:
            raise ConfigError("members: an ensemble needs at least two member detectors")
        self.C = positive_float("C", C)
        self.seed = seed
        self.members: list[Detector] = [_member(m, seed) for m in self.members_config]
        self.weights: np.ndarray | None = None
        self.intercept = 0.0

    def get_params(self) -> dict[str, Any]:
        return {"members": self.members_config, "C": self.C, "seed": self.seed}

    def fit(
        self,
        train: Sequence[Conversation],
        validation: Sequence[Conversation],
        sample_weight: np.ndarray | None = None,
    ) -> Self:
        conversation_labels(train, "train")
        y_val = conversation_labels(validation, "validation")
        for member in self.members:
            member.fit(train, validation, sample_weight=sample_weight)
        stacker = LogisticRegression(C=self.C, max_iter=1000, random_state=self.seed)
        stacker.fit(self._member_scores(validation), y_val)
        self.weights, self.intercept = stacker.coef_[0], float(stacker.intercept_[0])
        return self

    def _member_scores(self, conversations: Sequence[Conversation]) -> np.ndarray:
        """One column per member: the logit of its calibrated probability."""
        return np.column_stack(
            [member_logits(member.predict_proba(conversations)) for member in self.members]
        )

    def decision_function(self, conversations: Sequence[Conversation]) -> np.ndarray:
        self._check_fitted()
        if not conversations:
            return np.zeros(0)
        return self._member_scores(conversations) @ self.weights + self.intercept

    def predict_proba(self, conversations: Sequence[Conversation]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision_function(conversations)))

    def score_messages(self, conversation: Conversation) -> np.ndarray:
        """The stacker-weighted sum of the members' message contributions."""
        self._check_fitted()
        if not conversation.messages:
            return np.zeros(0)
        return sum(
            w * m.score_messages(conversation)
            for w, m in zip(self.weights, self.members, strict=True)
        )

    def window_scorer(self, window: int = 50) -> WindowScorer:
        self._check_fitted()
        return StackedWindow(self, [m.window_scorer(window) for m in self.members])

    def _check_fitted(self) -> None:
        if self.weights is None:
            raise RuntimeError(f"{self.name}: call fit() or load() before scoring")

    def _save_state(self, directory: Path) -> None:
        for i, member in enumerate(self.members):
            member.save(directory / f"member-{i}")
        stack = {"weights": self.weights.tolist(), "intercept": self.intercept}
        (directory / STACK_FILE).write_text(json.dumps(stack, indent=2) + "\n")

    def _load_state(self, directory: Path) -> None:
        self.members = [
            load_detector(directory / f"member-{i}") for i in range(len(self.members_config))
        ]
        stack = json.loads((directory / STACK_FILE).read_text())
        self.weights, self.intercept = np.array(stack["weights"]), float(stack["intercept"])


class StackedWindow(WindowScorer):
    """Feeds every member's window scorer and stacks their probabilities."""

    def __init__(self, detector: StackedDetector, scorers: list[WindowScorer]) -> None:
        self.detector = detector
        self.scorers = scorers

    def update(self, message: Message, participants: Sequence[Any] = ()) -> float:
        scores = np.array([s.update(message, participants) for s in self.scorers])
        logit = member_logits(scores) @ self.detector.weights + self.detector.intercept
        return float(1.0 / (1.0 + np.exp(-logit)))


def _member_config(member: Any) -> dict[str, Any]:
    """``{"model": name, "params": {...}}``, checked (a member cannot be an ensemble)."""
    if not isinstance(member, dict) or not isinstance(member.get("model"), str):
        raise ConfigError(
            f"members: each member is {{model: name, params: {{...}}}}, not {member!r}"
        )
    unknown = set(member) - {"model", "params"}
    if unknown:
        raise ConfigError(f"members: unknown key(s) {', '.join(sorted(unknown))} in {member!r}")
    if member["model"] == StackedDetector.name:
        raise ConfigError("members: an ensemble cannot be a member of an ensemble")
    params = member.get("params") or {}
    if not isinstance(params, dict):
        raise ConfigError(f"members: params of {member['model']!r} must be a mapping")
    return {"model": member["model"], "params": dict(params)}


def _member(member: dict[str, Any], seed: int) -> Detector:
    """The member detector, given the ensemble's seed unless the member sets its own."""
    detector = create_detector(member["model"], **member["params"])
    if "seed" in detector.get_params() and "seed" not in member["params"]:
        detector = create_detector(member["model"], **member["params"], seed=seed)
    return detector
