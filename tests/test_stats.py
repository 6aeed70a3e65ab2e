"""The shared statistics: each quantity checked once against an independent implementation.

Clopper–Pearson against scipy's ``binomtest``; ROC-AUC and recall at an FPR against
scikit-learn or brute force; thresholds against trying every score; the bootstrap by what a
resample must be (sizes, strata, reproducibility).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score, roc_curve

from groomwatch.errors import ConfigError, InputError
from groomwatch.stats import (
    bootstrap,
    bootstrap_by_label,
    clopper_pearson,
    percentile_bounds,
    ranking_statistics,
    recall_at_fpr,
    resample_weights,
    threshold_for_fpr,
    threshold_for_fpr_bound,
)


def _scores(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    return y, rng.normal(loc=1.5 * y, scale=1.0)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (10, 10), (3, 17), (1, 1000), (450, 900)])
def test_clopper_pearson_matches_scipy_exact_interval(k, n):
    expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    low, high = clopper_pearson(k, n)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_clopper_pearson_is_vectorised_and_undefined_without_trials():
    low, high = clopper_pearson(np.array([0, 3]), np.array([0, 17]))
    assert math.isnan(low[0]) and math.isnan(high[0])
    assert (low[1], high[1]) == clopper_pearson(3, 17)


def test_resample_weights_draw_n_units_reproducibly():
    first = list(resample_weights(50, 3, seed=4))
    again = list(resample_weights(50, 3, seed=4))
    assert all(w.sum() == 50 for w in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], first[1])


def test_stratified_resamples_keep_each_stratum_size():
    strata = [np.array([0, 3, 7]), np.array([1, 2, 4, 5, 6, 8, 9]), np.array([], dtype=int)]
    for weights in resample_weights(10, 20, seed=1, strata=strata):
        assert weights[strata[0]].sum() == 3 and weights[strata[1]].sum() == 7


def test_bootstrap_collects_one_value_per_resample():
    calls = []
    samples = bootstrap(lambda w: {"mean": float(w.sum())}, 20, 7, seed=1,
                        progress=lambda: calls.append(1))
    assert samples["mean"].tolist() == [20.0] * 7
    assert len(calls) == 7


def test_percentile_bounds_ignore_undefined_resamples():
    samples = np.array([np.nan, 1.0, 2.0, 3.0, np.nan])
    expected = np.quantile([1, 2, 3], [0.025, 0.975])
    assert percentile_bounds(samples) == pytest.approx(tuple(expected))
    assert all(math.isnan(b) for b in percentile_bounds(np.array([np.nan])))


def test_bootstrap_by_label_resamples_conversations_within_each_class():
    y, s = _scores(300, seed=2)
    draws = bootstrap_by_label(y, s, {"positives": lambda labels, _: labels.sum()},
                               n_resamples=30, seed=0)
    assert draws["positives"].tolist() == [y.sum()] * 30  # the class mix never changes
    auc = bootstrap_by_label(y, s, {"auc": roc_auc_score}, n_resamples=30, seed=0)["auc"]
    assert np.array_equal(auc, bootstrap_by_label(y, s, {"auc": roc_auc_score},
                                                  n_resamples=30, seed=0)["auc"])
    assert len(set(auc.tolist())) > 1


def test_bootstrap_interval_narrows_with_more_conversations():
    widths = []
    for n in (200, 3000):
        y, s = _scores(n, seed=2)
        draws = bootstrap_by_label(y, s, {"auc": roc_auc_score}, n_resamples=200, seed=0)
        low, high = percentile_bounds(draws["auc"])
        assert low <= roc_auc_score(y, s) <= high
        widths.append(high - low)
    assert widths[1] < widths[0] / 2


def test_ranking_statistics_agree_with_scikit_learn():
    y, s = _scores(500, seed=5)
    values = {name: f(y, s) for name, f in ranking_statistics(0.5).items()}
    assert values["roc_auc"] == roc_auc_score(y, s)
    fprs, tprs, _ = roc_curve(y, s, drop_intermediate=False)
    assert values["recall_at_1pct_fpr"] == tprs[fprs <= 0.01].max()
    flagged = s >= 0.5
    precision, recall = y[flagged].mean(), flagged[y == 1].mean()
    assert values["f0_5"] == pytest.approx(1.25 * precision * recall / (0.25 * precision + recall))


@pytest.mark.parametrize("target", [0.01, 0.05, 0.2])
def test_threshold_for_fpr_is_the_lowest_meeting_the_target(target):
    y, s = _scores(2000)
    threshold = threshold_for_fpr(y, s, target)
    negatives = s[y == 0]
    assert np.mean(negatives >= threshold) <= target
    below = np.max(s[s < threshold])  # the next lower threshold would flag more negatives
    assert np.mean(negatives >= below) > target


def test_recall_at_fpr_is_the_recall_at_the_fpr_threshold():
    y, s = _scores(3000, seed=1)
    threshold = threshold_for_fpr(y, s, 0.01)
    assert recall_at_fpr(y, s, 0.01) == pytest.approx(np.mean(s[y == 1] >= threshold))


def test_threshold_for_fpr_needs_negatives():
    with pytest.raises(InputError, match="no non-grooming"):
        threshold_for_fpr(np.ones(5, dtype=int), np.linspace(0, 1, 5), 0.1)


def _brute_force_bound_threshold(y, score, target):
    """Try every score as a threshold; keep the lowest whose FPR upper bound is ≤ target."""
    negatives = score[y == 0]
    valid = []
    for t in np.unique(np.r_[score, np.nextafter(score.max(), np.inf)]):
        fp = int((negatives >= t).sum())
        if binomtest(fp, len(negatives)).proportion_ci(0.95, "exact").high <= target:
            valid.append(t)
    return min(valid)


@pytest.mark.parametrize("target", [0.01, 0.05, 0.2])
def test_bound_threshold_is_the_lowest_with_upper_bound_below_target(target):
    rng = np.random.default_rng(5)
    y = (rng.random(1500) < 0.2).astype(int)
    score = np.round(rng.random(1500) * 0.7 + 0.3 * y, 3)  # ties across classes
    assert threshold_for_fpr_bound(y, score, target) == pytest.approx(
        _brute_force_bound_threshold(y, score, target)
    )


def test_bound_threshold_is_conservative():
    score = np.random.default_rng(9).random(5000)
    chosen = threshold_for_fpr_bound(np.zeros(5000, dtype=int), score, 0.05)
    assert (score >= chosen).mean() < 0.05


def test_too_few_negatives_for_the_bound_is_a_clear_error():
    y = np.array([0] * 50 + [1] * 5)
    with pytest.raises(ConfigError, match="cannot go below"):
        threshold_for_fpr_bound(y, np.linspace(0, 1, 55), 0.01)


@pytest.mark.slow
def test_clopper_pearson_intervals_cover_the_true_rate_about_95_percent():
    rng = np.random.default_rng(123)
    true_rate, n, draws = 0.1, 2000, 4000
    k = rng.binomial(n, true_rate, size=draws)
    low, high = clopper_pearson(k, np.full(draws, n))
    coverage = np.mean((low <= true_rate) & (true_rate <= high))
    assert 0.93 <= coverage <= 0.97
