"""Assemble the assessment report: one JSON-ready dict that every output is rendered from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from groomwatch import __version__
from groomwatch.evaluation.defaults import DEFAULT_RESAMPLES, DEFAULT_SEED
from groomwatch.evaluation.deployment import Assumptions, project
from groomwatch.evaluation.early import early_detection
from groomwatch.evaluation.groups import by_group
from groomwatch.evaluation.intervals import percentile_interval
from groomwatch.evaluation.metrics import (
    RATE_NAMES,
    SCORE_NAMES,
    calibration,
    confusion,
    point_scores,
    rates,
)
from groomwatch.evaluation.regulatory import regulatory_summary
from groomwatch.evaluation.schema import SCHEMA_VERSION
from groomwatch.evaluation.threshold import Decision
from groomwatch.evaluation.weighted import WeightedScores
from groomwatch.stats import CONFIDENCE, bootstrap


@dataclass
class Options:
    """How the numbers were computed, recorded in the report so they can be reproduced."""

    level: str = "conversation"
    n_resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    assumptions: Assumptions = field(default_factory=Assumptions)
    inputs: dict[str, str | None] = field(default_factory=dict)
    evaluation_window: dict[str, str | None] | None = None
    #: input hashes, options and versions (provenance.py); None outside `groomwatch assess`
    provenance: dict | None = None


def score_estimates(
    y: np.ndarray,
    score: np.ndarray,
    flag: np.ndarray,
    options: Options,
    progress: Callable[[], None] | None = None,
) -> dict[str, dict]:
    """Point values from scikit-learn with percentile intervals from a unit-level bootstrap."""
    points = point_scores(y, score, flag)
    samples = bootstrap(WeightedScores(y, score, flag), len(y), options.n_resamples, options.seed,
                        progress) if options.n_resamples else {}
    empty = np.array([])
    return {
        name: percentile_interval(points[name], samples.get(name, empty)).to_dict()
        for name in SCORE_NAMES
    }


def build_report(
    items: pd.DataFrame,
    decision: Decision,
    options: Options,
    *,
    robustness: dict | None = None,
    progress: Callable[[], None] | None = None,
) -> dict:
    """All figures for one technology on one labelled set, at the decision given."""
    y = items["y"].to_numpy(dtype=np.int64)
    score = items["score"].to_numpy(dtype=np.float64)
    flag = decision.flag.astype(bool)
    counts = confusion(y, flag)
    notes = []
    in_unit = bool(((score >= 0) & (score <= 1)).all())
    if not in_unit:
        notes.append("scores are not probabilities in [0, 1]: calibration is not assessed")
    if not 0 < y.sum() < len(y):
        notes.append("only one class in the data: ROC-AUC and some rates are undefined")
    group_columns = [c for c in items.columns if c.startswith("group:")]
    report = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "groomwatch_version": __version__,
        "level": options.level,
        "inputs": options.inputs,
        "evaluation_window": options.evaluation_window,
        "n": len(y),
        "n_positive": int(y.sum()),
        "threshold": {
            "value": decision.threshold,
            "method": decision.method,
            "target_fpr": decision.target_fpr,
        },
        "confusion": counts,
        "rates": {k: v.to_dict() for k, v in rates(counts).items() if k in RATE_NAMES},
        "scores": score_estimates(y, score, flag, options, progress),
        "bootstrap": {
            "n_resamples": options.n_resamples,
            "seed": options.seed,
            "confidence": CONFIDENCE,
            "unit": "author" if options.level == "author" else "conversation",
        },
        "deployment": project(options.assumptions, counts),
        "by_group": by_group(y, flag, items[group_columns]) if group_columns else {},
        "calibration": calibration(y, score) if in_unit else None,
        "early_detection": (
            early_detection(y, items["warning_at"].to_numpy(dtype=np.float64))
            if "warning_at" in items.columns else None
        ),
        "robustness": robustness,
        "notes": notes,
        "provenance": options.provenance,
    }
    report["regulatory_summary"] = regulatory_summary(report)
    return report
