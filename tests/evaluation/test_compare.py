"""Two hand-made technologies on the same data: paired AUC bootstrap and McNemar's test."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score

from groomwatch.cli import main
from groomwatch.errors import InputError
from groomwatch.evaluation.compare import auc_difference, mcnemar, paired


def test_mcnemar_counts_discordant_items_and_uses_the_exact_binomial_test():
    y = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    a = np.array([1, 1, 0, 0, 1, 1, 1, 0], dtype=bool)  # wrong on items 2, 4, 5
    b = np.array([1, 0, 1, 0, 0, 0, 1, 0], dtype=bool)  # wrong on item 1
    result = mcnemar(y, a, b)
    assert result["only_a_right"] == 1 and result["only_b_right"] == 3
    assert result["p_value"] == pytest.approx(binomtest(1, 4, 0.5).pvalue)


def test_identical_decisions_are_not_different():
    y = np.array([1, 0, 1])
    flags = np.array([True, False, False])
    assert mcnemar(y, flags, flags)["p_value"] == 1.0


def test_paired_auc_difference_finds_the_better_ranking():
    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.3).astype(int)
    sharp = rng.normal(2.0 * y, 1.0)
    blunt = rng.normal(0.3 * y, 1.0)
    result = auc_difference(y, blunt, sharp, n_resamples=300, seed=1)
    expected = roc_auc_score(y, sharp) - roc_auc_score(y, blunt)
    assert result["value"] == pytest.approx(expected)
    assert result["ci_low"] > 0 and result["p_value"] < 0.01
    same = auc_difference(y, sharp, sharp, n_resamples=100, seed=1)
    assert same["value"] == 0 and same["p_value"] == 1.0


def test_technologies_assessed_on_different_items_cannot_be_compared():
    a = pd.DataFrame({"id": ["x", "y"], "y": [1, 0], "score": [0.9, 0.1], "flag": [1, 0]})
    b = pd.DataFrame({"id": ["x", "z"], "y": [1, 0], "score": [0.8, 0.2], "flag": [1, 0]})
    with pytest.raises(InputError, match="different items"):
        paired(a, b)


def test_assess_with_two_predictions_and_compare_command_agree(tmp_path, records, csv_file,
                                                                capsys):
    rng = np.random.default_rng(4)
    labels = (rng.random(120) < 0.3).astype(int)
    data = records([{"cid": f"c{i}", "label": int(v)} for i, v in enumerate(labels)])
    good = csv_file("conversation_id,score", [
        (f"c{i}", round(float(np.clip(0.2 + 0.6 * v + rng.normal(0, 0.1), 0, 1)), 3))
        for i, v in enumerate(labels)], name="good.csv")
    poor = csv_file("conversation_id,score", [
        (f"c{i}", round(float(rng.random()), 3)) for i in range(len(labels))], name="poor.csv")
    out = tmp_path / "both"
    code = main(["assess", "-p", str(good), "-p", str(poor), "-d", str(data), "-o", str(out),
                 "--threshold", "0.5", "--resamples", "200"])
    assert code == 0
    comparison = json.loads((out / "comparison.json").read_text())
    assert comparison["names"] == ["good", "poor"]
    assert comparison["roc_auc_difference"]["value"] < 0  # poor − good
    assert "good ranks items significantly better" in comparison["verdict"]
    capsys.readouterr()
    assert main(["compare", str(out / "good"), str(out / "poor"), "--resamples", "200"]) == 0
    printed = capsys.readouterr().out
    assert "| ROC-AUC |" in printed and comparison["verdict"] in printed
