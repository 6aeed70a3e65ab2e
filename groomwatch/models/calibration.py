"""One calibrator every detector uses: raw scores on the validation split → probabilities.

Detectors produce scores on their own scale (logits, similarity aggregates). Fitting a
one-dimensional map on held-out validation scores is what scikit-learn's
``CalibratedClassifierCV(FrozenEstimator(est))`` does; doing it on the scores directly lets
detectors that are not scikit-learn estimators share it, and the fitted map is a handful of
numbers stored as plain JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from groomwatch.errors import InputError
from groomwatch.models.params import choice

METHODS = ("sigmoid", "isotonic")
CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True)
class Calibrator:
    """``sigmoid`` (Platt): p = 1 / (1 + exp(-(a·s + b))); ``isotonic``: piecewise-linear map."""

    method: str
    a: float = 1.0
    b: float = 0.0
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.float64)
        if self.method == "sigmoid":
            return 1.0 / (1.0 + np.exp(-(self.a * scores + self.b)))
        return np.interp(scores, self.x, self.y)

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "a": self.a,
            "b": self.b,
            "x": list(self.x),
            "y": list(self.y),
        }

    def save(self, directory: Path) -> None:
        (directory / CALIBRATION_FILE).write_text(json.dumps(self.to_dict()) + "\n")

    @classmethod
    def load(cls, directory: Path) -> Calibrator:
        data = json.loads((directory / CALIBRATION_FILE).read_text())
        return cls(data["method"], data["a"], data["b"], tuple(data["x"]), tuple(data["y"]))


def fit_calibrator(scores: np.ndarray, labels: np.ndarray, method: str = "sigmoid") -> Calibrator:
    """Fit the score → probability map on validation ``scores`` and 0/1 ``labels``."""
    choice("calibration", method, METHODS)
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if len(np.unique(labels)) < 2:
        raise InputError(
            "calibration needs both grooming and non-grooming validation conversations"
        )
    if method == "isotonic":
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(scores, labels)
        return Calibrator(method, x=tuple(iso.X_thresholds_), y=tuple(iso.y_thresholds_))
    # Platt's smoothed targets keep a perfectly separated validation set from giving 0/1 outputs.
    n_pos, n_neg = labels.sum(), len(labels) - labels.sum()
    target = np.where(labels == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    both = np.concatenate([scores, scores])[:, None]
    fit = LogisticRegression(C=np.inf).fit(
        both,
        np.r_[np.ones_like(labels), np.zeros_like(labels)],
        sample_weight=np.r_[target, 1 - target],
    )
    return Calibrator(method, a=float(fit.coef_[0, 0]), b=float(fit.intercept_[0]))
