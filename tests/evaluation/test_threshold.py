import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.evaluation.threshold import decide
from groomwatch.stats import threshold_for_fpr_bound


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
    y, score = np.r_[np.zeros(200, int), np.ones(20, int)], np.linspace(0, 1, 220)
    by_target = decide(y, score, flag=None, threshold=None, target_fpr=0.1)
    assert by_target.method == "target_fpr"
    assert by_target.threshold == threshold_for_fpr_bound(y, score, 0.1)
