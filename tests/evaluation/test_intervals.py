"""The report's estimates (the statistics themselves are tested in tests/test_stats.py)."""

import math

import numpy as np
import pytest

from groomwatch.evaluation.intervals import binomial_rate, percentile_interval


def test_rate_with_no_trials_is_undefined_not_an_error():
    estimate = binomial_rate(0, 0)
    assert math.isnan(estimate.value) and math.isnan(estimate.ci_low)
    assert estimate.to_dict() == {"value": None, "ci_low": None, "ci_high": None}


def test_undefined_value_gets_no_interval_from_its_resamples():
    estimate = percentile_interval(math.nan, np.array([1.0, 2.0, 3.0]))
    assert estimate.to_dict() == {"value": None, "ci_low": None, "ci_high": None}


@pytest.mark.slow
def test_bootstrap_auc_intervals_cover_the_true_auc_about_95_percent():
    from scipy.stats import norm

    from groomwatch.evaluation.report import Options, score_estimates

    rng = np.random.default_rng(7)
    separation = 1.0
    true_auc = norm.cdf(separation / np.sqrt(2))  # binormal scores with unit variance
    covered, draws = 0, 400
    for draw in range(draws):
        y = (rng.random(600) < 0.3).astype(int)
        score = rng.normal(separation * y, 1.0)
        estimates = score_estimates(y, score, score > 0.5, Options(n_resamples=300, seed=draw))
        auc = estimates["roc_auc"]
        covered += auc["ci_low"] <= true_auc <= auc["ci_high"]
    assert 0.93 <= covered / draws <= 0.97
