"""Validation metrics with intervals, and the threshold a run flags at.

Kept small on purpose: the assessment stage (groomwatch/evaluation/) has the full treatment;
a training run needs enough to choose a threshold and to state honestly how good the model
looked on validation. Binomial rates get exact Clopper–Pearson intervals; ROC-AUC, recall at a
fixed FPR and F0.5 get percentile bootstrap intervals that resample whole conversations
(each score is one conversation), stratified by label so every resample has both classes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import binomtest
from sklearn.metrics import fbeta_score, roc_auc_score, roc_curve

from groomwatch.errors import InputError
from groomwatch.training.config import ThresholdPolicy

LEVEL = 0.95
#: The operating point every run reports, whatever its own threshold policy.
REPORT_FPR = 0.01

#: A statistic of (labels, scores), e.g. ROC-AUC.
Statistic = Callable[[np.ndarray, np.ndarray], float]


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


def recall_at_fpr(y: np.ndarray, scores: np.ndarray, fpr: float = REPORT_FPR) -> float:
    """Best recall reachable while the false positive rate stays at or below ``fpr``."""
    fprs, tprs, _ = roc_curve(y, scores)
    return float(tprs[fprs <= fpr].max())


def threshold_for_fpr(y: np.ndarray, scores: np.ndarray, target_fpr: float) -> float:
    """Lowest threshold (flag when ``score >= threshold``) whose FPR on ``y`` is <= target."""
    negatives = np.sort(scores[y == 0])[::-1]
    if negatives.size == 0:
        raise InputError("validation split has no non-grooming conversations to set an FPR on")
    allowed = int(np.floor(target_fpr * negatives.size + 1e-9))
    if allowed >= negatives.size:
        return float(scores.min())
    return float(np.nextafter(negatives[allowed], np.inf))


def choose_threshold(policy: ThresholdPolicy, y: np.ndarray, scores: np.ndarray) -> float:
    if policy.policy == "fixed":
        return policy.value
    return threshold_for_fpr(y, scores, policy.target_fpr)


def clopper_pearson(successes: int, trials: int, level: float = LEVEL) -> Estimate:
    """Exact binomial interval; a rate with no trials is NaN rather than a made-up number."""
    if trials == 0:
        return Estimate(float("nan"), 0.0, 1.0, "clopper-pearson", 0, 0)
    interval = binomtest(successes, trials).proportion_ci(confidence_level=level, method="exact")
    return Estimate(
        successes / trials, interval.low, interval.high, "clopper-pearson", successes, trials
    )


def rates_at_threshold(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, Estimate]:
    flagged = scores >= threshold
    tp = int(np.sum(flagged & (y == 1)))
    fp = int(np.sum(flagged & (y == 0)))
    return {
        "precision": clopper_pearson(tp, tp + fp),
        "recall": clopper_pearson(tp, int(np.sum(y == 1))),
        "fpr": clopper_pearson(fp, int(np.sum(y == 0))),
    }


def bootstrap(
    y: np.ndarray,
    scores: np.ndarray,
    statistics: dict[str, Statistic],
    *,
    resamples: int,
    seed: int,
    level: float = LEVEL,
) -> dict[str, Estimate]:
    """Percentile intervals from resampling conversations within each class."""
    rng = np.random.default_rng(seed)
    positives, negatives = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    draws: dict[str, list[float]] = {name: [] for name in statistics}
    for _ in range(resamples):
        idx = np.concatenate([
            rng.choice(positives, positives.size), rng.choice(negatives, negatives.size)
        ])
        for name, statistic in statistics.items():
            draws[name].append(statistic(y[idx], scores[idx]))
    tail = (1 - level) / 2 * 100
    return {
        name: Estimate(
            float(statistic(y, scores)),
            float(np.percentile(draws[name], tail)),
            float(np.percentile(draws[name], 100 - tail)),
            "bootstrap",
        )
        for name, statistic in statistics.items()
    }


def ranking_statistics(threshold: float) -> dict[str, Statistic]:
    """Statistics of the whole score ranking (bootstrapped), F0.5 at ``threshold`` included."""
    def f05(labels: np.ndarray, s: np.ndarray) -> float:
        return float(fbeta_score(labels, s >= threshold, beta=0.5, zero_division=0.0))

    return {"roc_auc": roc_auc_score, "recall_at_1pct_fpr": recall_at_fpr, "f0_5": f05}


def point_metrics(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """The reported metrics without intervals (one cross-validation fold's row)."""
    values = {name: float(f(y, scores)) for name, f in ranking_statistics(threshold).items()}
    return values | {name: e.value for name, e in rates_at_threshold(y, scores, threshold).items()}


def validation_metrics(
    y: np.ndarray, scores: np.ndarray, threshold: float, *, resamples: int, seed: int
) -> dict[str, Estimate]:
    """All a run reports: ranking quality, the 1% FPR operating point, and the threshold's."""
    ranked = bootstrap(y, scores, ranking_statistics(threshold), resamples=resamples, seed=seed)
    return ranked | rates_at_threshold(y, scores, threshold)


def flat_metrics(metrics: dict[str, Estimate]) -> dict[str, float]:
    """``name``, ``name_low``, ``name_high`` floats, the shape MLflow metrics take."""
    flat: dict[str, float] = {}
    for name, estimate in metrics.items():
        flat[name] = estimate.value
        flat[f"{name}_low"] = estimate.low
        flat[f"{name}_high"] = estimate.high
    return flat
