"""Each metric against an independent computation on hand-made cases."""

import itertools
import math

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, matthews_corrcoef, roc_auc_score

from groomwatch.evaluation.metrics import calibration, confusion, point_scores, rates
from groomwatch.evaluation.weighted import WeightedScores

Y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 0])
SCORE = np.array([0.9, 0.8, 0.4, 0.7, 0.3, 0.3, 0.2, 0.1, 0.3, 0.6])
FLAG = SCORE >= 0.5  # tp: 0.9, 0.8; fp: 0.7, 0.6; fn: 0.4, 0.3; tn: 4


def pairwise_auc(y, score):
    """AUC by counting every (positive, negative) pair, half credit for ties."""
    pos, neg = score[y == 1], score[y == 0]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_confusion_and_rates_match_hand_counts():
    counts = confusion(Y, FLAG)
    assert counts == {"tp": 2, "fp": 2, "tn": 4, "fn": 2}
    r = rates(counts)
    assert r["fpr"].value == pytest.approx(2 / 6)
    assert r["fnr"].value == pytest.approx(2 / 4)
    assert r["precision"].value == pytest.approx(2 / 4)
    assert r["npv"].value == pytest.approx(4 / 6)
    assert r["tpr"].value + r["fnr"].value == pytest.approx(1)


def test_scores_match_independent_formulas_with_tied_scores():
    s = point_scores(Y, SCORE, FLAG)
    precision, recall = 2 / 4, 2 / 4
    for name, b in (("f1", 1), ("f0_5", 0.5), ("f3", 3)):
        expected = (1 + b * b) * precision * recall / (b * b * precision + recall)
        assert s[name] == pytest.approx(expected)
    tp, fp, tn, fn = 2, 2, 4, 2
    mcc = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    assert s["mcc"] == pytest.approx(mcc)
    assert s["balanced_accuracy"] == pytest.approx((2 / 4 + 4 / 6) / 2)
    assert s["roc_auc"] == pytest.approx(pairwise_auc(Y, SCORE))  # 0.3 is tied across classes


def test_average_precision_matches_step_definition():
    # ranks: 0.9(+) 0.8(+) 0.7(-) 0.6(-) 0.4(+) then a tie at 0.3 holding one + and two -
    expected = (1 / 4) * (1 + 1 + 3 / 5 + 4 / 8)
    assert point_scores(Y, SCORE, FLAG)["average_precision"] == pytest.approx(expected)


def test_all_negative_predictions_give_zero_f_scores_and_undefined_precision():
    none_flagged = np.zeros_like(FLAG)
    counts = confusion(Y, none_flagged)
    assert counts == {"tp": 0, "fp": 0, "tn": 6, "fn": 4}
    r = rates(counts)
    assert math.isnan(r["precision"].value)
    assert r["fpr"].value == 0 and r["fnr"].value == 1
    s = point_scores(Y, SCORE, none_flagged)
    assert s["f1"] == 0 and s["mcc"] == 0
    assert s["balanced_accuracy"] == pytest.approx(0.5)


def test_one_conversation_leaves_ranking_scores_undefined():
    s = point_scores(np.array([1]), np.array([0.8]), np.array([True]))
    assert math.isnan(s["roc_auc"])
    assert s["f1"] == 1.0


def test_calibration_matches_hand_computed_ece_and_brier():
    y = np.array([0, 0, 1, 1])
    score = np.array([0.05, 0.15, 0.15, 0.95])
    c = calibration(y, score)
    # bins: [0,.1): {0.05 → 0}, [.1,.2): {0.15, 0.15 → 1/2}, [.9,1]: {0.95 → 1}
    expected_ece = (1 * 0.05 + 2 * abs(0.15 - 0.5) + 1 * 0.05) / 4
    assert c["ece"] == pytest.approx(expected_ece)
    assert c["brier"] == pytest.approx(np.mean((score - y) ** 2))


def test_weighted_bootstrap_metrics_equal_scikit_learn_with_sample_weight():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    score = np.round(rng.random(500) * 0.6 + 0.3 * y, 2)  # many ties
    flag = score >= 0.5
    drawn = rng.integers(0, 500, 500)
    weights = np.bincount(drawn, minlength=500).astype(float)
    scorer = WeightedScores(y, score, flag)
    values = scorer(scorer.weights_for(drawn))
    assert values["roc_auc"] == pytest.approx(roc_auc_score(y, score, sample_weight=weights))
    assert values["average_precision"] == pytest.approx(
        average_precision_score(y, score, sample_weight=weights))
    assert values["mcc"] == pytest.approx(matthews_corrcoef(y, flag, sample_weight=weights))


def test_weighted_metrics_with_unit_weights_equal_the_point_estimates():
    scorer = WeightedScores(Y, SCORE, FLAG)
    values = scorer(np.ones(len(Y), dtype=np.int64))
    points = point_scores(Y, SCORE, FLAG)
    for name, value in points.items():
        assert values[name] == pytest.approx(value), name
