import math

import numpy as np
import pytest

from groomwatch.evaluation.early import ESPD_P, early_detection, erde, latency_penalty

Y = np.array([1, 1, 1, 0, 0])
WARNING_AT = np.array([3.0, 60.0, np.nan, 10.0, np.nan])  # hit, late hit, miss, false alarm, TN


def lc(k, o):
    return 1 - 1 / (1 + math.exp(k - o))


@pytest.mark.parametrize("o", [5, 50])
def test_erde_follows_the_per_subject_costs(o):
    c_fp = 3 / 5
    expected = (lc(3, o) + lc(60, o) + 1 + c_fp + 0) / 5
    assert erde(Y, WARNING_AT, o) == pytest.approx(expected)


def test_f_latency_uses_espd_p_and_median_penalty_of_hits():
    assert math.isclose(ESPD_P, math.log(3) / 89)
    assert latency_penalty(np.array([90.0]))[0] == pytest.approx(0.5)
    result = early_detection(Y, WARNING_AT)
    precision, recall = 2 / 3, 2 / 3
    f1 = 2 * precision * recall / (precision + recall)

    def penalty(k):
        return -1 + 2 / (1 + math.exp(-ESPD_P * (k - 1)))

    speed = 1 - (penalty(3) + penalty(60)) / 2  # median of two values is their mean
    assert result["f_latency"] == pytest.approx(f1 * speed)
    assert result["median_messages_to_warning"] == pytest.approx(31.5)


def test_no_correct_warning_gives_zero_f_latency_not_an_error():
    result = early_detection(np.array([1, 0]), np.array([np.nan, 4.0]))
    assert result["f_latency"] == 0.0
    assert result["median_messages_to_warning"] is None
