import numpy as np
import pandas as pd
import pytest

from groomwatch.evaluation.groups import by_group


def test_groups_get_their_own_counts_rates_and_the_largest_gap():
    y = np.array([1, 0, 0, 0, 1, 1, 0, 0, 0, 0])
    flag = np.array([1, 1, 0, 0, 0, 1, 0, 0, 0, 0], dtype=bool)
    groups = pd.DataFrame({"group:language": ["en"] * 4 + ["de"] * 3 + ["nl"] * 3})
    result = by_group(y, flag, groups)["language"]
    rows = {g["group"]: g for g in result["groups"]}
    assert rows["en"]["confusion"] == {"tp": 1, "fp": 1, "tn": 2, "fn": 0}
    assert rows["en"]["rates"]["fpr"]["value"] == pytest.approx(1 / 3)
    assert rows["de"]["rates"]["fnr"]["value"] == pytest.approx(1 / 2)
    gap = result["largest_gap"]["fpr"]
    assert gap == {"value": pytest.approx(1 / 3 - 0), "lowest": "de", "highest": "en"}


def test_group_without_positives_is_undefined_with_a_note_and_left_out_of_the_gap():
    y = np.array([1, 0, 1, 0, 0, 0])
    flag = np.array([1, 0, 0, 0, 1, 0], dtype=bool)
    groups = pd.DataFrame({"group:platform": ["a", "a", "b", "b", "c", "c"]})
    result = by_group(y, flag, groups)["platform"]
    rows = {g["group"]: g for g in result["groups"]}
    assert rows["c"]["rates"]["fnr"]["value"] is None
    assert "no grooming" in rows["c"]["note"]
    assert rows["a"]["note"] is None
    assert result["largest_gap"]["fnr"] == {"value": 1.0, "lowest": "a", "highest": "b"}


def test_group_where_nothing_is_flagged_says_why_precision_is_undefined():
    y = np.array([1, 0, 1, 0])
    flag = np.array([1, 0, 0, 0], dtype=bool)
    groups = pd.DataFrame({"group:language": ["en", "en", "nl", "nl"]})
    rows = {g["group"]: g for g in by_group(y, flag, groups)["language"]["groups"]}
    assert rows["nl"]["rates"]["precision"]["value"] is None
    assert rows["nl"]["note"] == "nothing flagged: precision undefined"
