"""Number formatting shared by the HTML page, the Markdown tables and the terminal summary."""

from __future__ import annotations

from typing import Any

#: headline rows: (key in rates/scores, label a lawyer can read, is it a percentage)
RATE_LABELS = {
    "fpr": "False positive rate (innocent flagged)",
    "fnr": "False negative rate (grooming missed)",
    "tpr": "Recall / true positive rate",
    "tnr": "True negative rate",
    "precision": "Precision on the test set (share of flags that are grooming)",
    "npv": "Negative predictive value",
}
SCORE_LABELS = {
    "roc_auc": "ROC-AUC",
    "average_precision": "Average precision (PR-AUC)",
    "f1": "F1",
    "f0_5": "F0.5 (PAN12 task 1)",
    "f3": "F3 (PAN12 task 2)",
    "mcc": "Matthews correlation",
    "balanced_accuracy": "Balanced accuracy (mean of TPR and TNR)",
}


#: the words for what is assessed and what counts as positive, per level
WORDS = {
    "conversation": {"items": "conversations", "positive": "grooming conversation",
                     "positives": "grooming conversations"},
    "author": {"items": "authors", "positive": "offender", "positives": "offenders"},
}


def words(report: dict) -> dict[str, str]:
    return WORDS[report["level"]]


def pct(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def count(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def interval(estimate: dict[str, Any], fmt=pct) -> str:
    if estimate["ci_low"] is None:
        return "—"
    return f"{fmt(estimate['ci_low'])} – {fmt(estimate['ci_high'])}"


def with_interval(estimate: dict[str, Any]) -> str:
    """A percentage and its interval in one phrase, e.g. ``4.14% (95% CI 3.42%–4.96%)``."""
    if estimate["value"] is None:
        return "undefined"
    return f"{pct(estimate['value'])} (95% CI {interval(estimate)})"


def headline_rows(report: dict) -> list[tuple[str, str, str]]:
    """(label, value, 95% interval) for every rate and score, in reading order."""
    rows = [(label, pct(report["rates"][k]["value"]), interval(report["rates"][k]))
            for k, label in RATE_LABELS.items()]
    rows += [(label, num(report["scores"][k]["value"]), interval(report["scores"][k], num))
             for k, label in SCORE_LABELS.items()]
    return rows


def deployment_rows(report: dict) -> list[tuple[str, str, str]]:
    d = report["deployment"]
    return [
        ("Flags per day", count(d["flags_per_day"]["value"]),
         interval(d["flags_per_day"], count)),
        (f"Innocent {words(report)['items']} reaching a reviewer per day",
         count(d["false_positives_per_day"]["value"]),
         interval(d["false_positives_per_day"], count)),
        ("Precision at the base rate", pct(d["precision_at_base_rate"]["value"], 3),
         interval(d["precision_at_base_rate"], lambda v: pct(v, 3))),
        ("Reviewer hours per day", count(d["reviewer_hours_per_day"]["value"]),
         interval(d["reviewer_hours_per_day"], count)),
    ]


def threshold_text(report: dict) -> str:
    t = report["threshold"]
    if t["method"] == "flag_column":
        return "the technology's own flags"
    text = f"score ≥ {t['value']:.4g}"
    if t["method"] == "target_fpr":
        text += f" (chosen for FPR ≤ {pct(t['target_fpr'])} at 95% confidence)"
    return text


def projection_sentence(report: dict) -> str:
    """The deployment projection in one plain sentence."""
    d = report["deployment"]
    fp = d["false_positives_per_day"]
    w = words(report)
    unit = w["items"]
    sentence = (
        f"At 1 in {1 / d['base_rate']:,.0f} {unit} being {w['positives']} and "
        f"{d['volume_per_day']:,.0f} {unit} a day, about {count(fp['value'])} innocent {unit} "
        f"a day (95% CI {count(fp['ci_low'])}–{count(fp['ci_high'])}) reach a reviewer"
    )
    per_true = d["false_positives_per_true_positive"]
    if per_true is not None:
        sentence += f": {per_true:,.0f} innocent for every {w['positive']} found"
    return sentence + "."


def points(value: float | None) -> str:
    """A difference of two rates, in percentage points."""
    return "—" if value is None else f"{100 * value:.2f} pp"


def signed_pct(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value, 2) + 0.0:+.2f} pp"


def signed_num(value: float | None) -> str:
    return "—" if value is None else f"{round(value, 3) + 0.0:+.3f}"  # never "-0.000"
