import math

import numpy as np
import pytest
from scipy.stats import binomtest

from groomwatch.evaluation.intervals import (
    binomial_rate,
    bootstrap,
    clopper_pearson,
    percentile_interval,
    resample_weights,
)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (10, 10), (3, 17), (1, 1000), (450, 900)])
def test_clopper_pearson_matches_scipy_exact_interval(k, n):
    expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    low, high = clopper_pearson(k, n)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_rate_with_no_trials_is_undefined_not_an_error():
    estimate = binomial_rate(0, 0)
    assert math.isnan(estimate.value) and math.isnan(estimate.ci_low)
    assert estimate.to_dict() == {"value": None, "ci_low": None, "ci_high": None}


def test_zero_errors_still_get_a_nonzero_upper_bound():
    # with k = 0 the exact upper bound has a closed form: 1 − (α/2)^(1/n), about 3.7/n
    estimate = binomial_rate(0, 3000)
    assert estimate.value == 0.0 and estimate.ci_low == 0.0
    assert estimate.ci_high == pytest.approx(1 - 0.025 ** (1 / 3000), rel=1e-9)


def test_resample_weights_draw_n_units_reproducibly():
    first = list(resample_weights(50, 3, seed=4))
    again = list(resample_weights(50, 3, seed=4))
    assert all(w.sum() == 50 for w in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], first[1])


def test_percentile_interval_ignores_undefined_resamples():
    samples = np.array([np.nan, 1.0, 2.0, 3.0, np.nan])
    estimate = percentile_interval(2.0, samples)
    assert estimate.ci_low == pytest.approx(np.quantile([1, 2, 3], 0.025))
    assert estimate.ci_high == pytest.approx(np.quantile([1, 2, 3], 0.975))


def test_bootstrap_collects_one_value_per_resample():
    calls = []
    samples = bootstrap(lambda w: {"mean": float(w.sum())}, 20, 7, seed=1,
                        progress=lambda: calls.append(1))
    assert samples["mean"].tolist() == [20.0] * 7
    assert len(calls) == 7


@pytest.mark.slow
def test_clopper_pearson_intervals_cover_the_true_rate_about_95_percent():
    rng = np.random.default_rng(123)
    true_rate, n, draws = 0.1, 2000, 4000
    k = rng.binomial(n, true_rate, size=draws)
    low, high = clopper_pearson(k, np.full(draws, n))
    coverage = np.mean((low <= true_rate) & (true_rate <= high))
    assert 0.93 <= coverage <= 0.97


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
