"""Validation maths: the threshold meets its FPR target, intervals behave like intervals."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from groomwatch.training.config import ThresholdPolicy
from groomwatch.training.metrics import (
    bootstrap,
    choose_threshold,
    clopper_pearson,
    rates_at_threshold,
    recall_at_fpr,
    threshold_for_fpr,
    validation_metrics,
)


def _scores(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    return y, rng.normal(loc=1.5 * y, scale=1.0)


@pytest.mark.parametrize("target", [0.01, 0.05, 0.2])
def test_threshold_is_the_lowest_meeting_the_fpr_target(target):
    y, s = _scores(2000)
    threshold = threshold_for_fpr(y, s, target)
    negatives = s[y == 0]
    assert np.mean(negatives >= threshold) <= target
    below = np.max(s[s < threshold])  # the next lower threshold would flag more negatives
    assert np.mean(negatives >= below) > target


def test_fixed_policy_keeps_its_value():
    y, s = _scores(100)
    assert choose_threshold(ThresholdPolicy(policy="fixed", value=0.7), y, s) == 0.7


def test_recall_at_fpr_matches_the_rate_at_the_chosen_threshold():
    y, s = _scores(3000, seed=1)
    threshold = threshold_for_fpr(y, s, 0.01)
    assert recall_at_fpr(y, s, 0.01) == pytest.approx(np.mean(s[y == 1] >= threshold))


def test_clopper_pearson_zero_successes_has_the_closed_form_upper_bound():
    estimate = clopper_pearson(0, 50)
    assert estimate.value == 0.0 and estimate.low == 0.0
    assert estimate.high == pytest.approx(1 - 0.025 ** (1 / 50))


def test_rates_count_flags_at_the_threshold():
    y = np.array([1, 1, 1, 0, 0, 0, 0])
    s = np.array([0.9, 0.6, 0.2, 0.7, 0.1, 0.1, 0.3])
    rates = rates_at_threshold(y, s, 0.5)
    assert (rates["precision"].successes, rates["precision"].trials) == (2, 3)
    assert (rates["recall"].successes, rates["recall"].trials) == (2, 3)
    assert (rates["fpr"].successes, rates["fpr"].trials) == (1, 4)
    for e in rates.values():
        assert e.low <= e.value <= e.high


def test_bootstrap_interval_holds_the_estimate_and_narrows_with_more_conversations():
    widths = []
    for n in (200, 3000):
        y, s = _scores(n, seed=2)
        auc = bootstrap(y, s, {"auc": roc_auc_score}, resamples=200, seed=0)["auc"]
        assert auc.low <= auc.value <= auc.high
        assert auc.value == pytest.approx(roc_auc_score(y, s))
        widths.append(auc.high - auc.low)
    assert widths[1] < widths[0] / 2


def test_validation_metrics_are_reproducible_for_a_seed():
    y, s = _scores(200, seed=3)
    first = validation_metrics(y, s, 0.5, resamples=50, seed=7)
    again = validation_metrics(y, s, 0.5, resamples=50, seed=7)
    assert first == again
    assert set(first) == {"roc_auc", "recall_at_1pct_fpr", "f0_5", "precision", "recall", "fpr"}
