"""`groomwatch train --cv K`: folds keep offenders together and the table reports the spread."""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.cli import main
from groomwatch.data.io import load_split
from groomwatch.data.split import offender_groups
from groomwatch.errors import ConfigError
from groomwatch.training.cv import fold_indices


def test_folds_partition_conversations_and_never_split_an_offender(data_dir):
    pool = load_split(data_dir, "train") + load_split(data_dir, "validation")
    folds = fold_indices(pool, 4, seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(pool)))
    groups = np.array(offender_groups(pool))
    fold_of_group: dict[str, set[int]] = {}
    for k, held_out in enumerate(folds):
        for group in groups[held_out]:
            fold_of_group.setdefault(group, set()).add(k)
    assert all(len(ks) == 1 for ks in fold_of_group.values())
    shares = [np.mean([pool[i].label for i in held_out]) for held_out in folds]
    assert max(shares) - min(shares) < 0.15


def test_fewer_than_three_folds_is_a_config_error(data_dir):
    pool = load_split(data_dir, "train")
    with pytest.raises(ConfigError, match="at least 3"):
        fold_indices(pool, 2, seed=0)


def test_cv_prints_mean_and_spread_and_logs_to_mlflow(
    data_dir, tmp_path, mlflow_uri, capsys, monkeypatch
):
    import mlflow

    monkeypatch.chdir(tmp_path)
    config = tmp_path / "fast.yaml"
    config.write_text("model: tfidf-lr\nparams: {max_features: 2000}\nmlflow: {experiment: cv}\n")
    assert main(["train", "--config", str(config), "--data", str(data_dir), "--cv", "3"]) == 0
    printed = capsys.readouterr().out
    for word in ("mean", "std", "roc_auc", "recall_at_1pct_fpr", "fpr"):
        assert word in printed
    runs = mlflow.search_runs(experiment_names=["cv"], output_format="list")
    assert len(runs) == 1
    metrics = runs[0].data.metrics
    assert metrics["roc_auc_mean"] > 0.7
    assert metrics["roc_auc_min"] <= metrics["roc_auc_mean"] <= metrics["roc_auc_max"]
    assert metrics["roc_auc_std"] >= 0
    assert not (tmp_path / "models").exists()
