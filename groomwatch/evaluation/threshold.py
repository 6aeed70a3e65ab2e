"""The assessed decision: a fixed threshold, a target false positive rate, or the ``flag`` column.

For a target FPR the threshold is chosen conservatively: the lowest threshold whose false
positive rate's *upper* 95% Clopper–Pearson bound is at most the target, so the promise
"FPR ≤ F" holds with 95% confidence rather than only on this test set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from groomwatch.errors import ConfigError
from groomwatch.evaluation.intervals import CONFIDENCE, clopper_pearson


@dataclass(frozen=True)
class Decision:
    """The assessed decision: flags per item plus how the threshold was set."""

    flag: np.ndarray
    threshold: float | None
    method: str  # "threshold", "target_fpr" or "flag_column"
    target_fpr: float | None = None


def threshold_for_target_fpr(
    y: np.ndarray, score: np.ndarray, target: float, confidence: float = CONFIDENCE
) -> float:
    """Lowest threshold t (flag when score ≥ t) whose FPR upper bound is ≤ ``target``."""
    if not 0 < target < 1:
        raise ConfigError(f"--target-fpr must be between 0 and 1, not {target}")
    negatives = np.sort(score[y == 0])[::-1]
    n_neg = len(negatives)
    if n_neg == 0:
        raise ConfigError("--target-fpr needs negative (non-grooming) conversations in the data")

    def upper(k: int) -> float:
        return clopper_pearson(k, n_neg, confidence)[1]

    if upper(0) > target:
        raise ConfigError(
            f"--target-fpr {target}: with {n_neg} negative conversations the FPR's upper "
            f"{confidence:.0%} bound cannot go below {upper(0):.4g}; assess on more negatives "
            "or give a larger target"
        )
    # the bound rises with the count of false positives: bisect for the largest allowed count
    # (it is below n_neg, whose bound is 1 > target)
    low, high = 0, n_neg - 1
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if upper(middle) <= target else (low, middle - 1)
    max_fp = low
    # flagging must stop above the (max_fp+1)-th highest negative score, ties included
    blocking = negatives[max_fp]
    above = score[score > blocking]
    return float(above.min()) if above.size else float(np.nextafter(blocking, np.inf))


def decide(
    y: np.ndarray,
    score: np.ndarray,
    *,
    flag: np.ndarray | None,
    threshold: float | None,
    target_fpr: float | None,
) -> Decision:
    """Resolve the options into flags; exactly one way of deciding must apply."""
    if threshold is not None and target_fpr is not None:
        raise ConfigError("give --threshold or --target-fpr, not both")
    if threshold is not None:
        return Decision(score >= threshold, float(threshold), "threshold")
    if target_fpr is not None:
        t = threshold_for_target_fpr(y, score, target_fpr)
        return Decision(score >= t, t, "target_fpr", target_fpr)
    if flag is not None:
        return Decision(flag.astype(bool), None, "flag_column")
    raise ConfigError(
        "no decision to assess: give --threshold, --target-fpr or a flag column in the predictions"
    )
