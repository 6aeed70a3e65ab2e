"""Validation plots logged with each run: the ROC curve and the score distribution per class."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_plots(directory: Path, y: np.ndarray, scores: np.ndarray, threshold: float) -> list[Path]:
    """Write ``roc_curve.png`` and ``score_histogram.png``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import RocCurveDisplay

    directory.mkdir(parents=True, exist_ok=True)
    roc_path, hist_path = directory / "roc_curve.png", directory / "score_histogram.png"

    fig, ax = plt.subplots(figsize=(5, 5))
    RocCurveDisplay.from_predictions(y, scores, ax=ax, name="validation")
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="chance")
    ax.set_title("ROC curve (validation split)")
    ax.legend(loc="lower right")
    fig.savefig(roc_path, dpi=100, bbox_inches="tight")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(0, 1, 41)
    ax.hist(scores[y == 0], bins=bins, alpha=0.6, label="not grooming", density=True)
    ax.hist(scores[y == 1], bins=bins, alpha=0.6, label="grooming", density=True)
    ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3g}")
    ax.set_xlabel("calibrated score")
    ax.set_ylabel("density")
    ax.set_title("Validation scores by class")
    ax.legend()
    fig.savefig(hist_path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return [roc_path, hist_path]
