"""The statistics every stage reports with, implemented once.

Exact binomial (Clopper–Pearson) intervals, the bootstrap over conversations, the threshold
for a target false positive rate (on the sample, or with its upper confidence bound) and the
ranking statistics. Training and assessment both report these numbers; a copy in each stage
would drift, so they live here, below every stage, and like ``errors.py`` import none.

A rate with few errors (0 false positives in 900 negatives) is exactly where a normal
approximation lies, hence the exact interval. The bootstrap resamples the units that are
independent — conversations, or authors — never single messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from scipy.stats import beta
from sklearn.metrics import fbeta_score, roc_auc_score, roc_curve

from groomwatch.errors import ConfigError, InputError

CONFIDENCE = 0.95
#: The false positive rate ``recall_at_1pct_fpr`` is read at.
REPORT_FPR = 0.01

#: A statistic of (labels, scores), e.g. ROC-AUC.
Statistic = Callable[[np.ndarray, np.ndarray], float]


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


def resample_weights(
    n: int, n_resamples: int, seed: int, strata: Sequence[np.ndarray] | None = None
) -> Iterator[np.ndarray]:
    """How often each of n units is drawn in each resample (with replacement).

    With ``strata`` (index arrays, e.g. positives and negatives) each stratum is resampled to
    its own size, so every resample keeps both classes. Counts rather than index arrays let a
    metric be a weighted sum over the original order, sorted once instead of once per resample.
    """
    rng = np.random.default_rng(seed)
    groups = [np.arange(n)] if strata is None else [s for s in strata if s.size]
    for _ in range(n_resamples):
        drawn = np.concatenate([g[rng.integers(0, g.size, size=g.size)] for g in groups])
        yield np.bincount(drawn, minlength=n)


def bootstrap(
    statistics: Callable[[np.ndarray], dict[str, float]],
    n: int,
    n_resamples: int,
    seed: int,
    progress: Callable[[], None] | None = None,
    *,
    strata: Sequence[np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Evaluate ``statistics(weights)`` on each resample; returns name -> array of values."""
    collected: dict[str, list[float]] = {}
    for weights in resample_weights(n, n_resamples, seed, strata):
        for name, value in statistics(weights).items():
            collected.setdefault(name, []).append(value)
        if progress is not None:
            progress()
    return {name: np.asarray(values, dtype=float) for name, values in collected.items()}


def bootstrap_by_label(
    y: np.ndarray,
    scores: np.ndarray,
    statistics: dict[str, Statistic],
    *,
    n_resamples: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """Resampled values of statistics of (labels, scores), resampling within each class."""
    units = np.arange(y.size)

    def on_resample(weights: np.ndarray) -> dict[str, float]:
        drawn = np.repeat(units, weights)
        return {name: f(y[drawn], scores[drawn]) for name, f in statistics.items()}

    strata = [np.flatnonzero(y == 1), np.flatnonzero(y == 0)]
    return bootstrap(on_resample, y.size, n_resamples, seed, strata=strata)


def percentile_bounds(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Percentile bootstrap interval; resamples where the metric is undefined are ignored."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return float("nan"), float("nan")
    alpha = 1.0 - confidence
    low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def recall_at_fpr(y: np.ndarray, scores: np.ndarray, fpr: float = REPORT_FPR) -> float:
    """Best recall reachable while the false positive rate stays at or below ``fpr``."""
    fprs, tprs, _ = roc_curve(y, scores)
    return float(tprs[fprs <= fpr].max())


def ranking_statistics(threshold: float) -> dict[str, Statistic]:
    """Statistics of the whole score ranking, F0.5 at ``threshold`` included."""
    def f05(labels: np.ndarray, s: np.ndarray) -> float:
        return float(fbeta_score(labels, s >= threshold, beta=0.5, zero_division=0.0))

    return {"roc_auc": roc_auc_score, "recall_at_1pct_fpr": recall_at_fpr, "f0_5": f05}


def threshold_for_fpr(y: np.ndarray, scores: np.ndarray, target_fpr: float) -> float:
    """Lowest threshold (flag when ``score >= threshold``) whose FPR on ``y`` is <= target."""
    negatives = np.sort(scores[y == 0])[::-1]
    if negatives.size == 0:
        raise InputError("validation split has no non-grooming conversations to set an FPR on")
    allowed = int(np.floor(target_fpr * negatives.size + 1e-9))
    if allowed >= negatives.size:
        return float(scores.min())
    return float(np.nextafter(negatives[allowed], np.inf))


def threshold_for_fpr_bound(
    y: np.ndarray, score: np.ndarray, target: float, confidence: float = CONFIDENCE
) -> float:
    """Lowest threshold t (flag when score ≥ t) whose FPR *upper* bound is ≤ ``target``.

    The promise "FPR ≤ target" then holds with ``confidence``, not only on this sample.
    """
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
    # flagging must stop above the (low+1)-th highest negative score, ties included
    blocking = negatives[low]
    above = score[score > blocking]
    return float(above.min()) if above.size else float(np.nextafter(blocking, np.inf))
