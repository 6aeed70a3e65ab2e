"""Log an assessment to MLflow when a run is active (or ``--mlflow`` asks for one)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from groomwatch.errors import GroomwatchError


def mlflow_wanted(requested: bool) -> bool:
    """True if asked, or if a run is active, without importing mlflow just to find out."""
    if requested or os.environ.get("MLFLOW_RUN_ID"):
        return True
    mlflow = sys.modules.get("mlflow")
    return bool(mlflow is not None and mlflow.active_run() is not None)


def report_metrics(report: dict) -> dict[str, float]:
    """Flat metric names for MLflow: every defined rate, score and projected figure."""
    metrics: dict[str, float] = {}
    for block in ("rates", "scores"):
        for name, estimate in report[block].items():
            for part in ("value", "ci_low", "ci_high"):
                if estimate[part] is not None:
                    suffix = "" if part == "value" else f".{part}"
                    metrics[f"assess.{name}{suffix}"] = estimate[part]
    for name in ("flags_per_day", "false_positives_per_day", "precision_at_base_rate",
                 "reviewer_hours_per_day"):
        value = report["deployment"][name]["value"]
        if value is not None:
            metrics[f"assess.deployment.{name}"] = value
    if report["calibration"]:
        metrics |= {f"assess.{k}": report["calibration"][k] for k in ("ece", "brier")}
    if report["threshold"]["value"] is not None:
        metrics["assess.threshold"] = report["threshold"]["value"]
    return metrics


def log_assessment(report: dict, files: Iterable[Path]) -> str:
    """Log metrics and files to the active run (or a new one); returns the run id."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        started = mlflow.active_run() is None
        run = mlflow.start_run() if started else mlflow.active_run()
        try:
            mlflow.log_metrics(report_metrics(report))
            for path in files:
                mlflow.log_artifact(str(path), artifact_path="assessment")
        finally:
            if started:
                mlflow.end_run()
    except MlflowException as exc:
        raise GroomwatchError(f"the report was written but MLflow logging failed: {exc}") from None
    return run.info.run_id
