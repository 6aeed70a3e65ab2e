import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.evaluation.intervals import clopper_pearson
from groomwatch.evaluation.threshold import decide, threshold_for_target_fpr


def brute_force_threshold(y, score, target):
    """Try every score as a threshold; keep the lowest whose FPR upper bound is ≤ target."""
    negatives = score[y == 0]
    valid = []
    for t in np.unique(np.r_[score, np.nextafter(score.max(), np.inf)]):
        fp = int((negatives >= t).sum())
        if clopper_pearson(fp, len(negatives))[1] <= target:
            valid.append(t)
    return min(valid)


@pytest.mark.parametrize("target", [0.01, 0.02, 0.05, 0.2])
def test_target_fpr_threshold_is_the_lowest_with_upper_bound_below_target(target):
    rng = np.random.default_rng(5)
    y = (rng.random(3000) < 0.2).astype(int)
    score = np.round(rng.random(3000) * 0.7 + 0.3 * y, 3)  # ties across classes
    chosen = threshold_for_target_fpr(y, score, target)
    assert chosen == pytest.approx(brute_force_threshold(y, score, target))
    fp = int(((score >= chosen) & (y == 0)).sum())
    assert clopper_pearson(fp, int((y == 0).sum()))[1] <= target


def test_target_fpr_is_conservative_observed_fpr_below_target():
    rng = np.random.default_rng(9)
    y = np.zeros(5000, dtype=int)
    score = rng.random(5000)
    chosen = threshold_for_target_fpr(y, score, 0.05)
    assert (score >= chosen).mean() < 0.05


def test_too_few_negatives_for_the_target_is_a_clear_error():
    y = np.array([0] * 50 + [1] * 5)
    with pytest.raises(ConfigError, match="cannot go below"):
        threshold_for_target_fpr(y, np.linspace(0, 1, 55), 0.01)


def test_decision_comes_from_exactly_one_source():
    y, score = np.array([0, 1]), np.array([0.2, 0.7])
    with pytest.raises(ConfigError, match="not both"):
        decide(y, score, flag=None, threshold=0.5, target_fpr=0.1)
    with pytest.raises(ConfigError, match="no decision"):
        decide(y, score, flag=None, threshold=None, target_fpr=None)
    from_flags = decide(y, score, flag=np.array([True, False]), threshold=None, target_fpr=None)
    assert from_flags.method == "flag_column" and from_flags.flag.tolist() == [True, False]
    fixed = decide(y, score, flag=None, threshold=0.7, target_fpr=None)
    assert fixed.flag.tolist() == [False, True]
