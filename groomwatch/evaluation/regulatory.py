"""The regulatory summary: the error figures a detection-order assessment asks for, in plain words.

Follows the shared regulation notes: false positives as a count, as a share of flags and as a
share of items scanned, kept apart; the error rate achieved with its interval; the threshold;
the human-review step. Precision is never called "accuracy" (the often-quoted "88% accuracy"
for grooming detection was a precision figure).
"""

from __future__ import annotations

from groomwatch.evaluation.format import (
    count,
    pct,
    projection_sentence,
    with_interval,
    words,
)
from groomwatch.evaluation.intervals import binomial_rate


def threshold_sentence(threshold: dict) -> str:
    if threshold["method"] == "flag_column":
        return "Decisions are the technology's own flags (its threshold is not disclosed)."
    text = f"A conversation is flagged when its score is at least {threshold['value']:.4g}"
    if threshold["method"] == "target_fpr":
        text += (
            f", the lowest threshold whose false positive rate is at most "
            f"{pct(threshold['target_fpr'])} with 95% confidence"
        )
    return text + "."


def regulatory_summary(report: dict) -> dict:
    """Build the summary block from the assembled report's numbers."""
    c, r, d = report["confusion"], report["rates"], report["deployment"]
    n, flags = report["n"], c["tp"] + c["fp"]
    share_of_items = binomial_rate(c["fp"], n).to_dict()
    share_of_flags = binomial_rate(c["fp"], flags).to_dict()
    w = words(report)
    unit = w["items"]
    statements = [
        threshold_sentence(report["threshold"]),
        f"On the {n:,} {unit} assessed, {c['fp']:,} innocent {unit} were flagged (false "
        f"positives): {with_interval(share_of_flags)} of all flags and "
        f"{with_interval(share_of_items)} of all {unit} scanned.",
        f"False positive rate (innocent {unit} flagged): {with_interval(r['fpr'])}. "
        f"False negative rate ({w['positives']} missed): {with_interval(r['fnr'])}.",
        "Precision (share of flags that are grooming, not 'accuracy'): "
        f"{with_interval(r['precision'])} on the test set, whose share of grooming is far "
        "higher than in real traffic.",
        projection_sentence(report),
        f"Precision at that base rate: {with_interval(d['precision_at_base_rate'])}.",
        f"Human review: every flag is confirmed by a person before anything is reported; at "
        f"{d['handling_minutes']:g} minutes per flag that is about "
        f"{count(d['reviewer_hours_per_day']['value'])} reviewer-hours a day. Conversations "
        "that raise no suspicion are not kept.",
    ]
    return {
        "threshold": report["threshold"],
        "false_positives": {
            "count": c["fp"],
            "share_of_flags": share_of_flags,
            "share_of_items_scanned": share_of_items,
            "per_day_at_deployment": d["false_positives_per_day"],
        },
        "false_negatives": {"count": c["fn"], "false_negative_rate": r["fnr"]},
        "error_rate_achieved": {"false_positive_rate": r["fpr"], "false_negative_rate": r["fnr"]},
        "human_review": {
            "required": True,
            "reviewer_hours_per_day": d["reviewer_hours_per_day"],
            "handling_minutes": d["handling_minutes"],
        },
        "statements": statements,
    }
