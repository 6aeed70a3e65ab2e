"""The report's figures, drawn with matplotlib as base64 PNG for one self-contained page.

Curves over a million scores are thinned to a few thousand points before drawing; the numbers
in the report never come from the thinned curves.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from scipy.stats import norm
from sklearn.metrics import det_curve, precision_recall_curve, roc_curve

from groomwatch.evaluation.metrics import calibration_bins

_MAX_POINTS = 2000
_COLOURS = {"innocent": "#1f77b4", "grooming": "#d62728", "point": "#111111"}


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.2, 3.9), dpi=100)
    return fig, ax


def _encode(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _thin(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    n = len(arrays[0])
    if n <= _MAX_POINTS:
        return arrays
    keep = np.unique(np.linspace(0, n - 1, _MAX_POINTS).astype(int))
    return tuple(a[keep] for a in arrays)


def _operating_point(y: np.ndarray, flag: np.ndarray) -> tuple[float, float, float]:
    """(FPR, TPR, precision) of the assessed decision, to mark on the curves."""
    positives, negatives = max(int(y.sum()), 1), max(int((1 - y).sum()), 1)
    tp, fp = int((flag & (y == 1)).sum()), int((flag & (y == 0)).sum())
    return fp / negatives, tp / positives, tp / max(tp + fp, 1)


def roc_plot(y: np.ndarray, score: np.ndarray, flag: np.ndarray) -> str:
    fig, ax = _figure()
    fpr, tpr, _ = roc_curve(y, score)
    fpr, tpr = _thin(fpr, tpr)
    ax.plot(fpr, tpr, color=_COLOURS["grooming"], label="ROC")
    ax.plot([0, 1], [0, 1], ls=":", color="grey", label="chance")
    op_fpr, op_tpr, _ = _operating_point(y, flag)
    ax.plot(op_fpr, op_tpr, "o", color=_COLOURS["point"], label="operating point")
    ax.set(xlabel="false positive rate", ylabel="true positive rate (recall)", title="ROC curve")
    ax.legend(loc="lower right")
    return _encode(fig)


def pr_plot(y: np.ndarray, score: np.ndarray, flag: np.ndarray) -> str:
    fig, ax = _figure()
    precision, recall, _ = precision_recall_curve(y, score)
    recall, precision = _thin(recall, precision)
    ax.plot(recall, precision, color=_COLOURS["grooming"], label="precision–recall")
    ax.axhline(y.mean(), ls=":", color="grey", label=f"share of grooming ({y.mean():.1%})")
    _, op_tpr, op_precision = _operating_point(y, flag)
    ax.plot(op_tpr, op_precision, "o", color=_COLOURS["point"], label="operating point")
    ax.set(xlabel="recall", ylabel="precision (test set)", title="Precision–recall curve",
           ylim=(0, 1.02))
    ax.legend(loc="lower left")
    return _encode(fig)


def det_plot(y: np.ndarray, score: np.ndarray, flag: np.ndarray) -> str:
    """DET curve on normal-deviate axes, where low error rates are spread out and readable."""
    fig, ax = _figure()
    fpr, fnr, _ = det_curve(y, score)
    fpr, fnr = _thin(fpr, fnr)
    clip = (1e-4, 1 - 1e-4)
    ax.plot(norm.ppf(np.clip(fpr, *clip)), norm.ppf(np.clip(fnr, *clip)),
            color=_COLOURS["grooming"], label="DET")
    op_fpr, op_tpr, _ = _operating_point(y, flag)
    ax.plot(norm.ppf(np.clip(op_fpr, *clip)), norm.ppf(np.clip(1 - op_tpr, *clip)), "o",
            color=_COLOURS["point"], label="operating point")
    ticks = np.array([0.001, 0.01, 0.05, 0.2, 0.5, 0.8])
    ax.set_xticks(norm.ppf(ticks), [f"{t:.1%}" for t in ticks])
    ax.set_yticks(norm.ppf(ticks), [f"{t:.1%}" for t in ticks])
    ax.set(xlabel="false positive rate", ylabel="false negative rate", title="DET curve")
    ax.legend(loc="upper right")
    return _encode(fig)


def distribution_plot(y: np.ndarray, score: np.ndarray, threshold: float | None) -> str:
    fig, ax = _figure()
    bins = np.linspace(score.min(), score.max(), 41) if score.max() > score.min() else 10
    for label, name in ((0, "innocent"), (1, "grooming")):
        values = score[y == label]
        if values.size:
            ax.hist(values, bins=bins, density=True, alpha=0.55, color=_COLOURS[name],
                    label=f"{name} (n={values.size:,})")
    if threshold is not None:
        ax.axvline(threshold, color=_COLOURS["point"], ls="--", label=f"threshold {threshold:.3g}")
    ax.set(xlabel="score", ylabel="density", title="Score distribution by class")
    ax.legend(loc="best", framealpha=0.9)
    return _encode(fig)


def reliability_plot(y: np.ndarray, score: np.ndarray) -> str:
    fig, ax = _figure()
    bins = calibration_bins(y, score)
    count = np.asarray(bins["count"])
    used = count > 0
    ax.plot([0, 1], [0, 1], ls=":", color="grey", label="perfect calibration")
    ax.plot(np.asarray(bins["mean_score"])[used], np.asarray(bins["observed"])[used], "o-",
            color=_COLOURS["grooming"], label="observed")
    ax.set(xlabel="mean predicted probability", ylabel="observed share of grooming",
           title="Reliability diagram", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left")
    return _encode(fig)


def error_rates_plot(y: np.ndarray, score: np.ndarray, threshold: float | None) -> str:
    """FPR and FNR as the threshold moves, with the assessed threshold marked."""
    fig, ax = _figure()
    grid = np.linspace(score.min(), score.max(), 300)
    neg, pos = np.sort(score[y == 0]), np.sort(score[y == 1])
    if neg.size:
        fpr = 1 - np.searchsorted(neg, grid, side="left") / neg.size
        ax.plot(grid, fpr, color=_COLOURS["innocent"], label="FPR (innocent flagged)")
    if pos.size:
        fnr = np.searchsorted(pos, grid, side="left") / pos.size
        ax.plot(grid, fnr, color=_COLOURS["grooming"], label="FNR (grooming missed)")
    if threshold is not None:
        ax.axvline(threshold, color=_COLOURS["point"], ls="--", label=f"threshold {threshold:.3g}")
    ax.set(xlabel="threshold (flag when score ≥ threshold)", ylabel="error rate",
           title="Error rates against threshold", ylim=(0, 1))
    ax.legend(loc="center right")
    return _encode(fig)


def all_plots(y: np.ndarray, score: np.ndarray, flag: np.ndarray, threshold: float | None,
              calibrated: bool) -> dict[str, str]:
    """Every figure the HTML page shows; curves that need both classes are left out otherwise."""
    figures = {"distribution": distribution_plot(y, score, threshold),
               "error_rates": error_rates_plot(y, score, threshold)}
    if 0 < y.sum() < len(y):
        figures |= {"roc": roc_plot(y, score, flag), "pr": pr_plot(y, score, flag),
                    "det": det_plot(y, score, flag)}
    if calibrated:
        figures["reliability"] = reliability_plot(y, score)
    return figures
