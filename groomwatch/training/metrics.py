"""Validation metrics with intervals, and the threshold a run flags at.

Kept small on purpose: the assessment stage (groomwatch/evaluation/) has the full treatment;
a training run needs enough to choose a threshold and to state honestly how good the model
looked on validation. The statistics are ``groomwatch.stats`` (shared with the assessment);
this module picks which a run reports and shapes them as a run's metrics: binomial rates with
their counts, ROC-AUC, recall at a fixed FPR and F0.5 with a bootstrap over conversations
stratified by label (each score is one conversation, every resample has both classes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from groomwatch.stats import (
    CONFIDENCE,
    Statistic,
    bootstrap_by_label,
    clopper_pearson,
    percentile_bounds,
    ranking_statistics,
    threshold_for_fpr,
)
from groomwatch.training.config import ThresholdPolicy


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    #: "bootstrap" or "clopper-pearson"; with counts for binomial rates.
    method: str
    successes: int | None = None
    trials: int | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def choose_threshold(policy: ThresholdPolicy, y: np.ndarray, scores: np.ndarray) -> float:
    if policy.policy == "fixed":
        return policy.value
    return threshold_for_fpr(y, scores, policy.target_fpr)


def binomial_estimate(successes: int, trials: int, level: float = CONFIDENCE) -> Estimate:
    """A rate with its exact interval and counts; no trials is NaN rather than a made-up number."""
    if trials == 0:
        return Estimate(float("nan"), 0.0, 1.0, "clopper-pearson", 0, 0)
    low, high = clopper_pearson(successes, trials, level)
    return Estimate(successes / trials, low, high, "clopper-pearson", successes, trials)


def rates_at_threshold(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, Estimate]:
    flagged = scores >= threshold
    tp = int(np.sum(flagged & (y == 1)))
    fp = int(np.sum(flagged & (y == 0)))
    return {
        "precision": binomial_estimate(tp, tp + fp),
        "recall": binomial_estimate(tp, int(np.sum(y == 1))),
        "fpr": binomial_estimate(fp, int(np.sum(y == 0))),
    }


def bootstrap_estimates(
    y: np.ndarray,
    scores: np.ndarray,
    statistics: dict[str, Statistic],
    *,
    resamples: int,
    seed: int,
    level: float = CONFIDENCE,
) -> dict[str, Estimate]:
    """Each statistic on all conversations, with its percentile interval over resamples."""
    draws = bootstrap_by_label(y, scores, statistics, n_resamples=resamples, seed=seed)
    return {
        name: Estimate(float(statistic(y, scores)), *percentile_bounds(draws[name], level),
                       "bootstrap")
        for name, statistic in statistics.items()
    }


def point_metrics(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """The reported metrics without intervals (one cross-validation fold's row)."""
    values = {name: float(f(y, scores)) for name, f in ranking_statistics(threshold).items()}
    return values | {name: e.value for name, e in rates_at_threshold(y, scores, threshold).items()}


def validation_metrics(
    y: np.ndarray, scores: np.ndarray, threshold: float, *, resamples: int, seed: int
) -> dict[str, Estimate]:
    """All a run reports: ranking quality, the 1% FPR operating point, and the threshold's."""
    ranked = bootstrap_estimates(
        y, scores, ranking_statistics(threshold), resamples=resamples, seed=seed
    )
    return ranked | rates_at_threshold(y, scores, threshold)


def flat_metrics(metrics: dict[str, Estimate]) -> dict[str, float]:
    """``name``, ``name_low``, ``name_high`` floats, the shape MLflow metrics take."""
    flat: dict[str, float] = {}
    for name, estimate in metrics.items():
        flat[name] = estimate.value
        flat[f"{name}_low"] = estimate.low
        flat[f"{name}_high"] = estimate.high
    return flat
