"""The assessed decision: a fixed threshold, a target false positive rate, or the ``flag`` column.

For a target FPR the threshold is chosen conservatively (``stats.threshold_for_fpr_bound``): the
lowest threshold whose false positive rate's *upper* 95% Clopper–Pearson bound is at most the
target, so the promise "FPR ≤ F" holds with 95% confidence rather than only on this test set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from groomwatch.errors import ConfigError
from groomwatch.stats import threshold_for_fpr_bound


@dataclass(frozen=True)
class Decision:
    """The assessed decision: flags per item plus how the threshold was set."""

    flag: np.ndarray
    threshold: float | None
    method: str  # "threshold", "target_fpr" or "flag_column"
    target_fpr: float | None = None


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
        t = threshold_for_fpr_bound(y, score, target_fpr)
        return Decision(score >= t, t, "target_fpr", target_fpr)
    if flag is not None:
        return Decision(flag.astype(bool), None, "flag_column")
    raise ConfigError(
        "no decision to assess: give --threshold, --target-fpr or a flag column in the predictions"
    )
