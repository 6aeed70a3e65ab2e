"""Error rates per group (language, platform, any ``meta`` key) and the largest gap between groups.

fairlearn's ``MetricFrame`` splits the data; each group's confusion counts then get the same
exact intervals as the whole set. A group without positives (or negatives) has undefined
FNR (or FPR): it is reported as null with a note and left out of the gap, never a crash.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from sklearn.metrics import confusion_matrix

from groomwatch.evaluation.metrics import RATE_NAMES, rates
from groomwatch.stats import CONFIDENCE

GAP_RATES = ("fpr", "fnr", "precision")


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray) -> dict:
    """One metric returning all four counts of the (weighted) cells of a group."""
    tn, fp, fn, tp = confusion_matrix(
        y_true, y_pred, labels=[0, 1], sample_weight=sample_weight
    ).ravel()
    return {"tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn)}


def _note(counts: dict[str, int]) -> str | None:
    """Why some of a group's rates are undefined (null), in words."""
    reasons = []
    if counts["tp"] + counts["fn"] == 0:
        reasons.append("no grooming conversations: FNR, TPR undefined")
    if counts["tn"] + counts["fp"] == 0:
        reasons.append("no innocent conversations: FPR, TNR undefined")
    if counts["tp"] + counts["fp"] == 0:
        reasons.append("nothing flagged: precision undefined")
    return "; ".join(reasons) or None


def largest_gap(groups: list[dict], rate: str) -> dict | None:
    """Highest minus lowest defined value of ``rate`` across groups, naming both groups."""
    defined = [(g["rates"][rate]["value"], g["group"]) for g in groups
               if g["rates"][rate]["value"] is not None]
    if len(defined) < 2:
        return None
    low, high = min(defined), max(defined)
    return {"value": high[0] - low[0], "lowest": low[1], "highest": high[1]}


def by_group(
    y: np.ndarray, flag: np.ndarray, groups: pd.DataFrame, confidence: float = CONFIDENCE
) -> dict[str, dict]:
    """For each grouping column: a row per group with counts, rates and intervals; the gaps."""
    result: dict[str, dict] = {}
    flag = flag.astype(bool)
    for column in groups.columns:
        field = column.removeprefix("group:")
        # MetricFrame's cost grows with rows, so it sees one weighted row per
        # (group, label, decision) cell instead of a million conversations
        cells = (
            pd.DataFrame({"_y": y, "_flag": flag, "_group": groups[column].to_numpy()})
            .value_counts()
            .reset_index(name="_n")
        )
        frame = MetricFrame(
            metrics=_confusion, y_true=cells["_y"], y_pred=cells["_flag"],
            sensitive_features=cells["_group"].rename(field),
            sample_params={"sample_weight": cells["_n"]},
        ).by_group
        rows = []
        for name, counts in frame.items():
            group_rates = rates(counts, confidence)
            rows.append({
                "group": str(name),
                "n": sum(counts.values()),
                "n_positive": counts["tp"] + counts["fn"],
                "confusion": counts,
                "rates": {k: group_rates[k].to_dict() for k in RATE_NAMES},
                "note": _note(counts),
            })
        gaps = {rate: largest_gap(rows, rate) for rate in GAP_RATES}
        result[field] = {"groups": rows, "largest_gap": gaps}
    return result
