"""What the measured error rates mean at the scale a detector would run.

A test set with 10% grooming hides the base-rate effect: at 1 grooming conversation in 10,000,
even a 1% false positive rate sends about a hundred innocent conversations to a reviewer for
every true one. Formulas (shared metrics notes), with recall R and false positive rate F:
flags/day = V·(π·R + (1−π)·F), false positives/day = V·(1−π)·F,
precision at the base rate = π·R / (π·R + (1−π)·F), reviewer hours/day = flags · M / 60.

Intervals: quantities of F alone use F's 95% Clopper–Pearson interval. Quantities of both R and
F use each rate's 97.5% interval at the end that makes the quantity smallest and largest, so
both hold together with at least 95% confidence (Bonferroni); this is conservative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from groomwatch.evaluation.defaults import (
    DEFAULT_BASE_RATE,
    DEFAULT_HANDLING_MINUTES,
    DEFAULT_VOLUME,
)
from groomwatch.evaluation.intervals import Estimate, binomial_rate
from groomwatch.stats import CONFIDENCE


@dataclass(frozen=True)
class Assumptions:
    base_rate: float = DEFAULT_BASE_RATE
    volume_per_day: float = DEFAULT_VOLUME
    handling_minutes: float = DEFAULT_HANDLING_MINUTES


def flags_per_day(a: Assumptions, recall: float, fpr: float) -> float:
    return a.volume_per_day * (a.base_rate * recall + (1 - a.base_rate) * fpr)


def false_positives_per_day(a: Assumptions, fpr: float) -> float:
    return a.volume_per_day * (1 - a.base_rate) * fpr


def precision_at_base_rate(a: Assumptions, recall: float, fpr: float) -> float:
    true_flags = a.base_rate * recall
    flagged = true_flags + (1 - a.base_rate) * fpr
    return true_flags / flagged if flagged > 0 else math.nan


def reviewer_hours(a: Assumptions, flags: float) -> float:
    return flags * a.handling_minutes / 60.0


def project(a: Assumptions, counts: dict[str, int], confidence: float = CONFIDENCE) -> dict:
    """The deployment block of the report, each projected quantity with its interval."""
    tp, fp, tn, fn = counts["tp"], counts["fp"], counts["tn"], counts["fn"]
    fpr = binomial_rate(fp, fp + tn, confidence)
    joint = 1 - (1 - confidence) / 2
    r2, f2 = binomial_rate(tp, tp + fn, joint), binomial_rate(fp, fp + tn, joint)
    flags = Estimate(
        flags_per_day(a, r2.value, f2.value),
        flags_per_day(a, r2.ci_low, f2.ci_low),
        flags_per_day(a, r2.ci_high, f2.ci_high),
    )
    precision = Estimate(
        precision_at_base_rate(a, r2.value, f2.value),
        precision_at_base_rate(a, r2.ci_low, f2.ci_high),
        precision_at_base_rate(a, r2.ci_high, f2.ci_low),
    )
    true_per_day = a.volume_per_day * a.base_rate * r2.value
    false_positives = false_positives_per_day(a, fpr.value)
    return {
        "base_rate": a.base_rate,
        "volume_per_day": a.volume_per_day,
        "handling_minutes": a.handling_minutes,
        "flags_per_day": flags.to_dict(),
        "false_positives_per_day": Estimate(
            false_positives,
            false_positives_per_day(a, fpr.ci_low),
            false_positives_per_day(a, fpr.ci_high),
        ).to_dict(),
        "true_positives_per_day": true_per_day if not math.isnan(true_per_day) else None,
        "false_positives_per_true_positive": (
            false_positives / true_per_day if true_per_day > 0 else None
        ),
        "precision_at_base_rate": precision.to_dict(),
        "reviewer_hours_per_day": Estimate(
            reviewer_hours(a, flags.value),
            reviewer_hours(a, flags.ci_low),
            reviewer_hours(a, flags.ci_high),
        ).to_dict(),
        "interval_method": (
            "Clopper-Pearson 95% for FPR-only quantities; 97.5% intervals of recall and FPR "
            "combined (Bonferroni, at least 95% jointly) for quantities of both"
        ),
    }
