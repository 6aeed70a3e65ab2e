"""The report's estimates: a value with its interval, written to JSON with null for undefined.

The statistics themselves (Clopper–Pearson, the bootstrap, percentile bounds) are
``groomwatch.stats``, shared with training; this module only shapes them for the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from groomwatch.stats import CONFIDENCE, clopper_pearson, percentile_bounds


@dataclass(frozen=True)
class Estimate:
    """A value with its confidence interval; NaN means undefined (e.g. FNR with no positives)."""

    value: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict[str, float | None]:
        return {
            "value": json_number(self.value),
            "ci_low": json_number(self.ci_low),
            "ci_high": json_number(self.ci_high),
        }


def json_number(x: Any) -> float | None:
    """JSON has no NaN: undefined numbers are written as null."""
    value = float(x)
    return None if math.isnan(value) or math.isinf(value) else value


def binomial_rate(k: int, n: int, confidence: float = CONFIDENCE) -> Estimate:
    """k of n with its exact interval; a rate with no trials is NaN throughout."""
    low, high = clopper_pearson(k, n, confidence)
    return Estimate(k / n if n else math.nan, low, high)


def percentile_interval(
    value: float, samples: np.ndarray, confidence: float = CONFIDENCE
) -> Estimate:
    """``value`` with the percentile interval of its bootstrap ``samples`` (NaN if undefined)."""
    if math.isnan(value):
        return Estimate(value, math.nan, math.nan)
    return Estimate(value, *percentile_bounds(samples, confidence))
