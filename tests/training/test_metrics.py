"""What a training run reports (the statistics themselves are tested in tests/test_stats.py)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from groomwatch.training.config import ThresholdPolicy
from groomwatch.training.metrics import (
    binomial_estimate,
    bootstrap_estimates,
    choose_threshold,
    rates_at_threshold,
    validation_metrics,
)

#: labelled validation scores: 30% grooming, scored 1.5 standard deviations higher
_RNG = np.random.default_rng(0)
Y = (_RNG.random(300) < 0.3).astype(int)
S = _RNG.normal(loc=1.5 * Y, scale=1.0)


def test_fixed_policy_keeps_its_value():
    assert choose_threshold(ThresholdPolicy(policy="fixed", value=0.7), Y, S) == 0.7


def test_target_policy_flags_at_most_its_share_of_negatives():
    threshold = choose_threshold(ThresholdPolicy(policy="target-fpr", target_fpr=0.05), Y, S)
    assert np.mean(S[Y == 0] >= threshold) <= 0.05


def test_rate_without_trials_is_nan_with_the_widest_interval():
    estimate = binomial_estimate(0, 0)
    assert np.isnan(estimate.value) and (estimate.low, estimate.high) == (0.0, 1.0)


def test_rates_count_flags_at_the_threshold():
    y = np.array([1, 1, 1, 0, 0, 0, 0])
    s = np.array([0.9, 0.6, 0.2, 0.7, 0.1, 0.1, 0.3])
    rates = rates_at_threshold(y, s, 0.5)
    assert (rates["precision"].successes, rates["precision"].trials) == (2, 3)
    assert (rates["recall"].successes, rates["recall"].trials) == (2, 3)
    assert (rates["fpr"].successes, rates["fpr"].trials) == (1, 4)
    for e in rates.values():
        assert e.low <= e.value <= e.high


def test_bootstrap_estimate_is_the_statistic_on_all_conversations():
    auc = bootstrap_estimates(Y, S, {"auc": roc_auc_score}, resamples=100, seed=0)["auc"]
    assert auc.value == roc_auc_score(Y, S) and auc.method == "bootstrap"
    assert auc.low <= auc.value <= auc.high


def test_validation_metrics_are_reproducible_for_a_seed():
    first = validation_metrics(Y, S, 0.5, resamples=50, seed=7)
    again = validation_metrics(Y, S, 0.5, resamples=50, seed=7)
    assert first == again
    assert set(first) == {"roc_auc", "recall_at_1pct_fpr", "f0_5", "precision", "recall", "fpr"}
