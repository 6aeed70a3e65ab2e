"""Point estimates of every metric, computed with scikit-learn.

Rates come from the confusion matrix at the deployed decision and get exact intervals; the
threshold-free scores (ROC-AUC, average precision) and F-scores get bootstrap intervals in
``bootstrap_scores``. Undefined values (AUC with one class, FNR with no positives) are NaN,
never an exception, because a group or a small test set can lack a class.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    fbeta_score,
    matthews_corrcoef,
    roc_auc_score,
)

from groomwatch.evaluation.intervals import Estimate, binomial_rate
from groomwatch.stats import CONFIDENCE

#: F-score name -> beta: F0.5 ranks PAN12 task 1, F3 task 2.
F_BETAS = {"f1": 1.0, "f0_5": 0.5, "f3": 3.0}
SCORE_NAMES = (*F_BETAS, "mcc", "balanced_accuracy", "roc_auc", "average_precision")
RATE_NAMES = ("fpr", "fnr", "tpr", "tnr", "precision", "npv")


def confusion(y: np.ndarray, flag: np.ndarray) -> dict[str, int]:
    tn, fp, fn, tp = confusion_matrix(y, flag, labels=[0, 1]).ravel()
    return {"tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn)}


def rates(counts: dict[str, int], confidence: float = CONFIDENCE) -> dict[str, Estimate]:
    """The six binomial rates of a confusion matrix, each with its Clopper–Pearson interval."""
    tp, fp, tn, fn = counts["tp"], counts["fp"], counts["tn"], counts["fn"]
    return {
        "fpr": binomial_rate(fp, fp + tn, confidence),
        "fnr": binomial_rate(fn, fn + tp, confidence),
        "tpr": binomial_rate(tp, tp + fn, confidence),
        "tnr": binomial_rate(tn, tn + fp, confidence),
        "precision": binomial_rate(tp, tp + fp, confidence),
        "npv": binomial_rate(tn, tn + fn, confidence),
    }


def point_scores(y: np.ndarray, score: np.ndarray, flag: np.ndarray) -> dict[str, float]:
    """F-scores, MCC, balanced accuracy at the decision; ROC-AUC and AP over the scores."""
    values = {
        name: float(fbeta_score(y, flag, beta=b, zero_division=0.0)) for name, b in F_BETAS.items()
    }
    with warnings.catch_warnings():  # one class present: sklearn warns, we return its value
        warnings.simplefilter("ignore")
        values["mcc"] = float(matthews_corrcoef(y, flag))
        values["balanced_accuracy"] = float(balanced_accuracy_score(y, flag))
    both_classes = 0 < int(y.sum()) < len(y)
    values["roc_auc"] = float(roc_auc_score(y, score)) if both_classes else math.nan
    values["average_precision"] = (
        float(average_precision_score(y, score)) if y.any() else math.nan
    )
    return values


def calibration_bins(y: np.ndarray, score: np.ndarray, n_bins: int = 10) -> dict[str, list]:
    """Equal-width bins over [0, 1]: count, mean score and observed grooming share per bin."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(index, minlength=n_bins)
    total_score = np.bincount(index, weights=score, minlength=n_bins)
    total_y = np.bincount(index, weights=y, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_score = total_score / count
        observed = total_y / count
    return {
        "edges": edges.tolist(),
        "count": count.tolist(),
        "mean_score": mean_score.tolist(),
        "observed": observed.tolist(),
    }


def calibration(y: np.ndarray, score: np.ndarray, n_bins: int = 10) -> dict[str, float]:
    """Expected calibration error (equal-width bins, weighted by count) and the Brier score."""
    bins = calibration_bins(y, score, n_bins)
    count = np.asarray(bins["count"], dtype=float)
    gap = np.abs(np.asarray(bins["mean_score"]) - np.asarray(bins["observed"]))
    ece = float(np.nansum(count * gap) / count.sum())
    return {"ece": ece, "brier": float(brier_score_loss(y, score)), "n_bins": n_bins}
