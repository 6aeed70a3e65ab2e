"""A training run writes the detector and its card, logs to MLflow and registers a pyfunc model."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from groomwatch.data.io import load_split
from groomwatch.models.registry import load_detector
from groomwatch.training.card import CARD_JSON, CARD_MD
from groomwatch.training.run import train


def test_run_writes_a_detector_that_ranks_held_out_positives_first(trained, data_dir):
    from sklearn.metrics import roc_auc_score

    detector = load_detector(trained.result.out_dir)
    test = load_split(data_dir, "test")
    auc = roc_auc_score([c.label for c in test], detector.predict_proba(test))
    assert auc > 0.7  # well above chance (0.5) after 300 small training conversations
    assert detector.threshold == trained.result.threshold


def test_threshold_meets_the_validation_fpr_target(trained, data_dir):
    detector = load_detector(trained.result.out_dir)
    validation = load_split(data_dir, "validation")
    scores = detector.predict_proba(validation)
    negatives = scores[np.array([c.label for c in validation]) == 0]
    assert np.mean(negatives >= detector.threshold) <= trained.config.threshold.target_fpr
    fpr = trained.result.metrics["fpr"]
    assert fpr.successes == int(np.sum(negatives >= detector.threshold))


def test_model_card_names_the_data_metrics_threshold_and_version(trained, data_dir):
    out = trained.result.out_dir
    card = json.loads((out / CARD_JSON).read_text())
    expected = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in data_dir.glob("*.jsonl")
    }
    assert card["training_data"]["sha256"] == expected
    assert card["training_data"]["dataset_card"] == (data_dir / "README.md").read_text()
    train_size = len(load_split(data_dir, "train"))
    assert card["training_data"]["splits"]["train"]["conversations"] == train_size
    assert "synthetic" in card["limitations"][0]
    for name, estimate in card["validation_metrics"].items():
        assert estimate["low"] <= estimate["value"] <= estimate["high"], name
    assert card["threshold"]["value"] == trained.result.threshold
    assert "0.01" in card["threshold"]["how_chosen"]
    assert card["code_version"]["groomwatch"]
    markdown = (out / CARD_MD).read_text()
    for section in ("Intended use", "Out of scope", "SHA-256", "Limitations", "Threshold"):
        assert section in markdown
    assert f"{card['validation_metrics']['roc_auc']['value']:.3f}" in markdown


def test_mlflow_run_has_params_metrics_and_artifacts(trained):
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=trained.tracking_uri)
    run = client.get_run(trained.result.run_id)
    assert run.data.params["model"] == "tfidf-lr"
    assert run.data.params["seed"] == str(trained.config.seed)
    assert run.data.params["params.max_features"] == "5000"
    metrics = run.data.metrics
    assert metrics["roc_auc"] == pytest.approx(trained.result.metrics["roc_auc"].value)
    assert metrics["roc_auc_low"] <= metrics["roc_auc"] <= metrics["roc_auc_high"]
    assert metrics["threshold"] == pytest.approx(trained.result.threshold)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {CARD_MD, CARD_JSON, "roc_curve.png", "score_histogram.png"} <= artifacts


def test_registered_pyfunc_model_predicts_the_detectors_scores(trained, data_dir, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", trained.tracking_uri)
    mlflow.set_tracking_uri(trained.tracking_uri)
    name, version = trained.result.model_uri.removeprefix("models:/").split("/")
    registered = mlflow.MlflowClient().get_model_version(name, version)
    assert registered.run_id == trained.result.run_id
    model = mlflow.pyfunc.load_model(trained.result.model_uri)
    test = load_split(data_dir, "test")
    frame = pd.DataFrame({"conversation": [json.dumps(c.to_dict()) for c in test]})
    served = model.predict(frame)
    expected = load_detector(trained.result.out_dir).predict_proba(test)
    np.testing.assert_allclose(served["score"].to_numpy(), expected, rtol=0, atol=1e-12)


def test_pyfunc_model_rejects_a_bad_record_with_the_row(trained, monkeypatch):
    import mlflow
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(trained.tracking_uri)
    model = mlflow.pyfunc.load_model(trained.result.model_uri)
    with pytest.raises(MlflowException, match=r"row 1: .*participants"):
        records = ['{"conversation_id": "x", "participants": [], "messages": []}', "{}"]
        model.predict(pd.DataFrame({"conversation": records}))


def test_same_seed_gives_the_same_scores(trained, data_dir):
    from groomwatch.training.run import fit_detector

    config = trained.config
    detector, _, _ = fit_detector(
        config, load_split(data_dir, "train"), load_split(data_dir, "validation")
    )
    test = load_split(data_dir, "test")
    first = load_detector(trained.result.out_dir).predict_proba(test)
    np.testing.assert_array_equal(detector.predict_proba(test), first)
    assert detector.threshold == trained.result.threshold


def test_the_seed_reaches_the_detector(trained):
    assert load_detector(trained.result.out_dir).get_params()["seed"] == trained.config.seed


def test_a_failed_run_keeps_the_previous_model(small_config, data_dir, tmp_path, monkeypatch):
    from groomwatch.errors import ConfigError

    out = tmp_path / "model"
    out.mkdir()
    (out / "detector.json").write_text("{}")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "no-such-scheme://store")
    with pytest.raises(ConfigError, match=r"MLflow tracking store .* is unusable"):
        train(small_config(data_dir, out))
    assert (out / "detector.json").read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_train_cli_prints_metrics_and_writes_the_model(
    data_dir, tmp_path: Path, mlflow_uri, capsys
):
    from groomwatch.cli import main

    config = tmp_path / "fast.yaml"
    config.write_text("model: tfidf-lr\nparams: {max_features: 2000}\nbootstrap: 100\n")
    out = tmp_path / "cli-model"
    code = main(["train", "--config", str(config), "--data", str(data_dir), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "roc_auc" in printed and "recall_at_1pct_fpr" in printed
    assert "models:/groomwatch-tfidf-lr/" in printed
    assert (out / "detector.json").is_file() and (out / CARD_MD).is_file()
