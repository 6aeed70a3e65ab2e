"""Confidence intervals: exact Clopper–Pearson for binomial rates, bootstrap for everything else.

A rate with few errors (say 0 false positives in 900 negatives) is exactly where a normal
approximation lies, so binomial rates get the exact interval. The bootstrap resamples the units
that are independent — conversations, or authors at author level — never messages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import beta

CONFIDENCE = 0.95


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


def clopper_pearson(k: Any, n: Any, confidence: float = CONFIDENCE) -> tuple[Any, Any]:
    """Exact two-sided interval for k successes in n trials (vectorised; NaN where n == 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    empty = n <= 0
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    return (float(low), float(high)) if low.ndim == 0 else (low, high)


def binomial_rate(k: int, n: int, confidence: float = CONFIDENCE) -> Estimate:
    low, high = clopper_pearson(k, n, confidence)
    return Estimate(k / n if n else math.nan, low, high)


def percentile_interval(
    value: float, samples: np.ndarray, confidence: float = CONFIDENCE
) -> Estimate:
    """Percentile bootstrap interval; resamples where the metric is undefined are ignored."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0 or math.isnan(value):
        return Estimate(value, math.nan, math.nan)
    alpha = 1.0 - confidence
    low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return Estimate(value, float(low), float(high))


def resample_weights(n: int, n_resamples: int, seed: int) -> Iterator[np.ndarray]:
    """How often each unit is drawn in each resample of n units with replacement.

    Counts (not index arrays) let every metric be a weighted sum over the original order, so
    sorting is done once instead of once per resample.
    """
    rng = np.random.default_rng(seed)
    for _ in range(n_resamples):
        yield np.bincount(rng.integers(0, n, size=n), minlength=n)


def bootstrap(
    statistics: Callable[[np.ndarray], dict[str, float]],
    n: int,
    n_resamples: int,
    seed: int,
    progress: Callable[[], None] | None = None,
) -> dict[str, np.ndarray]:
    """Evaluate ``statistics(weights)`` on each resample; returns name -> array of values."""
    collected: dict[str, list[float]] = {}
    for weights in resample_weights(n, n_resamples, seed):
        for name, value in statistics(weights).items():
            collected.setdefault(name, []).append(value)
        if progress is not None:
            progress()
    return {name: np.asarray(values, dtype=float) for name, values in collected.items()}
