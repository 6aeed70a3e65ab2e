"""The bootstrap's metrics as weighted sums over data sorted once, so 1,000 resamples stay fast.

A bootstrap resample is the original items with integer weights (how often each was drawn).
Sorting the scores and grouping ties happens once here; each resample then costs a few
vectorised passes. The values equal scikit-learn's with ``sample_weight`` (tests check this).
"""

from __future__ import annotations

import numpy as np

from groomwatch.evaluation.metrics import F_BETAS


def fbeta(tp: float, fp: float, fn: float, b: float) -> float:
    """F-beta from counts; 0 when undefined, as scikit-learn's ``zero_division=0``."""
    b2 = b * b
    denominator = (1 + b2) * tp + b2 * fn + fp
    return (1 + b2) * tp / denominator if denominator > 0 else 0.0


def mcc(tp: float, fp: float, tn: float, fn: float) -> float:
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / denominator) if denominator > 0 else 0.0


def balanced_accuracy(tp: float, fp: float, tn: float, fn: float) -> float:
    """Mean recall over the classes present, as scikit-learn does with one class."""
    recalls = [tp / (tp + fn)] if tp + fn > 0 else []
    recalls += [tn / (tn + fp)] if tn + fp > 0 else []
    return float(np.mean(recalls)) if recalls else float("nan")


class WeightedScores:
    """One technology's scores sorted once; ``__call__(weights)`` gives every bootstrap metric.

    Weights are given in *sorted* order (``weights_for`` maps drawn item indices there), so a
    resample never has to gather a million weights through a permutation.
    """

    def __init__(self, y: np.ndarray, score: np.ndarray, flag: np.ndarray) -> None:
        order = np.argsort(score, kind="stable")
        self.n = len(order)
        #: where each original item sits in sorted order (for paired resamples)
        self.position = np.empty_like(order)
        self.position[order] = np.arange(self.n)
        sorted_scores = score[order]
        #: start of each run of tied scores, ascending
        self.tie_starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
        positive = y[order].astype(np.float64)
        flagged = flag[order].astype(np.float64)
        self.positive = positive
        self.tp_mask = positive * flagged
        self.fp_mask = (1 - positive) * flagged

    def weights_for(self, drawn: np.ndarray) -> np.ndarray:
        """Weights in sorted order for a resample given as original item indices."""
        return np.bincount(self.position[drawn], minlength=self.n).astype(np.float64)

    def ranking(self, weights: np.ndarray) -> dict[str, float]:
        """Weighted ROC-AUC (Mann–Whitney with half credit for ties) and average precision."""
        pos = np.add.reduceat(weights * self.positive, self.tie_starts)
        neg = np.add.reduceat(weights, self.tie_starts) - pos
        pos_up_to, neg_up_to = np.cumsum(pos), np.cumsum(neg)
        total_pos, total_neg = pos_up_to[-1], neg_up_to[-1]
        if total_pos == 0:
            return {"roc_auc": np.nan, "average_precision": np.nan}
        auc = (
            float(np.dot(pos, neg_up_to - 0.5 * neg) / (total_pos * total_neg))
            if total_neg > 0 else np.nan
        )
        # flagging every tie group from the top down to this one: counts at or above it
        tps = total_pos - pos_up_to + pos
        flagged = tps + total_neg - neg_up_to + neg
        precision = np.divide(tps, flagged, out=np.ones_like(tps), where=flagged > 0)
        return {"roc_auc": auc, "average_precision": float(np.dot(pos, precision) / total_pos)}

    def decisions(self, weights: np.ndarray) -> dict[str, float]:
        """Scores of the fixed decisions: F-scores, MCC and balanced accuracy."""
        total_pos = float(np.dot(weights, self.positive))
        tp = float(np.dot(weights, self.tp_mask))
        fp = float(np.dot(weights, self.fp_mask))
        fn = total_pos - tp
        tn = float(weights.sum()) - total_pos - fp
        values = {name: fbeta(tp, fp, fn, b) for name, b in F_BETAS.items()}
        values["mcc"] = mcc(tp, fp, tn, fn)
        values["balanced_accuracy"] = balanced_accuracy(tp, fp, tn, fn)
        return values

    def __call__(self, weights: np.ndarray) -> dict[str, float]:
        return {**self.decisions(weights), **self.ranking(weights)}
