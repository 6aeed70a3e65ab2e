import pytest

from groomwatch.evaluation.deployment import Assumptions, project


def test_projection_arithmetic_matches_hand_computation():
    # recall 9/10 = 0.9, FPR 10/1000 = 0.01, base rate 1 in 10,000, 10 million a day
    counts = {"tp": 9, "fn": 1, "fp": 10, "tn": 990}
    d = project(Assumptions(base_rate=1e-4, volume_per_day=1e7, handling_minutes=5), counts)
    flags = 1e7 * (1e-4 * 0.9 + 0.9999 * 0.01)  # 900 true + 99,990 innocent
    assert flags == pytest.approx(100_890)
    assert d["flags_per_day"]["value"] == pytest.approx(flags)
    assert d["false_positives_per_day"]["value"] == pytest.approx(99_990)
    assert d["true_positives_per_day"] == pytest.approx(900)
    assert d["false_positives_per_true_positive"] == pytest.approx(99_990 / 900)
    assert d["precision_at_base_rate"]["value"] == pytest.approx(900 / 100_890)
    assert d["reviewer_hours_per_day"]["value"] == pytest.approx(100_890 * 5 / 60)


def test_projection_intervals_bracket_the_values():
    d = project(Assumptions(), {"tp": 80, "fn": 20, "fp": 30, "tn": 870})
    for key in ("flags_per_day", "false_positives_per_day", "precision_at_base_rate",
                "reviewer_hours_per_day"):
        e = d[key]
        assert e["ci_low"] < e["value"] < e["ci_high"], key


def test_no_positives_leaves_recall_based_figures_undefined():
    d = project(Assumptions(), {"tp": 0, "fn": 0, "fp": 5, "tn": 995})
    assert d["false_positives_per_day"]["value"] == pytest.approx(1e7 * 0.9999 * 0.005)
    assert d["precision_at_base_rate"]["value"] is None
    assert d["false_positives_per_true_positive"] is None
