"""The logistic-regression head that ``tfidf-lr`` and the pooled-embedding detectors share."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from groomwatch.models.calibration import METHODS
from groomwatch.models.params import choice, positive_float, positive_int


@dataclass(frozen=True)
class LogisticHead:
    """Settings of the linear classifier on a detector's features, checked when it is made (a
    bad value is a ConfigError naming the parameter), and the calibration fitted after it."""

    C: float = 10.0
    class_weight: str | None = "balanced"
    max_iter: int = 2000
    calibration: str = "sigmoid"
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "C", positive_float("C", self.C))
        choice("class_weight", self.class_weight, ("balanced", None))
        positive_int("max_iter", self.max_iter)
        choice("calibration", self.calibration, METHODS)

    def params(self) -> dict[str, Any]:
        return asdict(self)

    def fit(
        self, features: Any, labels: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> LogisticRegression:
        return LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
            random_state=self.seed,
        ).fit(features, labels, sample_weight=sample_weight)
