"""MLflow logging: metrics and the three report files go to the run."""

import json

import pytest

from groomwatch.cli import main


@pytest.mark.slow  # importing mlflow takes several seconds
def test_mlflow_flag_logs_metrics_and_report_files(tmp_path, labelled, csv_file, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.create_experiment("assess-test", artifact_location=(tmp_path / "art").as_uri())
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "assess-test")
    data = labelled([(f"c{i}", int(i < 4), "en") for i in range(12)])
    predictions = csv_file("conversation_id,score",
                           [(f"c{i}", 0.9 if i < 3 or i == 7 else 0.1) for i in range(12)])
    out = tmp_path / "report"
    code = main(["assess", "-p", str(predictions), "-d", str(data), "-o", str(out),
                 "--threshold", "0.5", "--resamples", "10", "--mlflow"])
    assert code == 0
    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    assert len(runs) == 1
    metrics = runs[0].data.metrics
    report = json.loads((out / "report.json").read_text())
    assert metrics["assess.fpr"] == pytest.approx(report["rates"]["fpr"]["value"])
    assert metrics["assess.fnr"] == pytest.approx(1 / 4)
    client = mlflow.MlflowClient()
    logged = {a.path for a in client.list_artifacts(runs[0].info.run_id, "assessment")}
    assert logged == {"assessment/report.json", "assessment/report.html", "assessment/report.md"}
