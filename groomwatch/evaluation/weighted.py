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
    resample never gathers a million weights through a permutation. Only tie groups that hold
    a positive contribute to ROC-AUC and average precision, so after one cumulative sum over
    all weights the rest of the work is over the (usually few) positives.
    """

    def __init__(self, y: np.ndarray, score: np.ndarray, flag: np.ndarray) -> None:
        order = np.argsort(score, kind="stable")
        self.n = len(order)
        #: where each original item sits in sorted order (for paired resamples)
        self.position = np.empty_like(order)
        self.position[order] = np.arange(self.n)
        sorted_scores = score[order]
        positive = y[order].astype(bool)
        flagged = flag[order].astype(bool)
        group_start = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
        group_of = np.cumsum(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]]) - 1
        group_end = np.r_[group_start[1:], self.n]
        #: sorted positions of the positives, and of the flagged ones among them
        self.pos_index = np.flatnonzero(positive)
        self.pos_flagged = flagged[self.pos_index]
        self.fp_index = np.flatnonzero(~positive & flagged)
        groups = group_of[self.pos_index]
        #: first positive of each tie group holding positives, and that group's span
        self.first_in_group = np.flatnonzero(np.diff(groups, prepend=-1) != 0)
        with_pos = groups[self.first_in_group]
        self.start, self.end = group_start[with_pos], group_end[with_pos]
        self._cum = np.zeros(self.n + 1, dtype=np.int64)

    def weights_for(self, drawn: np.ndarray) -> np.ndarray:
        """Weights in sorted order for a resample given as original item indices."""
        return np.bincount(self.position[drawn], minlength=self.n)

    def __call__(self, weights: np.ndarray) -> dict[str, float]:
        """F-scores, MCC, balanced accuracy of the decisions; ROC-AUC and AP of the scores."""
        cum = self._cum  # cum[i] = total weight of the i lowest-scored items
        np.cumsum(weights, out=cum[1:])
        total = float(cum[-1])
        pos_w = weights[self.pos_index]
        total_pos = float(pos_w.sum())
        tp = float(pos_w[self.pos_flagged].sum())
        fp = float(weights[self.fp_index].sum())
        fn, tn = total_pos - tp, total - total_pos - fp
        values = {name: fbeta(tp, fp, fn, b) for name, b in F_BETAS.items()}
        values["mcc"] = mcc(tp, fp, tn, fn)
        values["balanced_accuracy"] = balanced_accuracy(tp, fp, tn, fn)
        if total_pos == 0:
            return values | {"roc_auc": np.nan, "average_precision": np.nan}
        pos = np.add.reduceat(pos_w, self.first_in_group).astype(np.float64)
        pos_below = np.cumsum(pos) - pos
        below = cum[self.start].astype(np.float64)
        neg_below = below - pos_below
        neg_within = cum[self.end] - below - pos
        total_neg = total - total_pos
        values["roc_auc"] = (
            float(np.dot(pos, neg_below + 0.5 * neg_within) / (total_pos * total_neg))
            if total_neg > 0 else np.nan
        )
        # flag this tie group and everything above it: positives there over all weight there
        above = total - below
        precision = np.divide(total_pos - pos_below, above, out=np.zeros_like(above),
                              where=above > 0)
        values["average_precision"] = float(np.dot(pos, precision) / total_pos)
        return values
