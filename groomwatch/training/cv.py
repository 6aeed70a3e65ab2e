"""Grouped, stratified cross-validation: how much a detector's metrics move between data draws.

The train and validation splits are pooled (the test split stays untouched) and cut into K
folds that keep every offender's conversations together (``offender_groups``) and keep the
label balance. Fold k is held out for evaluation, fold k+1 calibrates and sets the threshold
(the job of the validation split in a normal run), and the remaining folds train.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from groomwatch.data.io import load_split
from groomwatch.data.record import Conversation
from groomwatch.data.split import offender_groups
from groomwatch.errors import ConfigError, InputError
from groomwatch.models.base import conversation_labels
from groomwatch.training.config import TrainConfig
from groomwatch.training.metrics import point_metrics
from groomwatch.training.run import Report, build_detector, fit_detector


@dataclass(frozen=True)
class CvResult:
    #: One dict of metric values per fold.
    folds: list[dict[str, float]]

    def summary(self) -> dict[str, dict[str, float]]:
        """Mean, standard deviation (ddof=1), min and max of each metric across folds."""
        out = {}
        for name in self.folds[0]:
            values = np.array([fold[name] for fold in self.folds], dtype=float)
            out[name] = {
                "mean": float(np.nanmean(values)),
                "std": float(np.nanstd(values, ddof=1)),
                "min": float(np.nanmin(values)),
                "max": float(np.nanmax(values)),
            }
        return out


def fold_indices(conversations: Sequence[Conversation], k: int, seed: int) -> list[np.ndarray]:
    """Held-out indices of each of ``k`` folds, grouped by offender and stratified by label."""
    from sklearn.model_selection import StratifiedGroupKFold

    if k < 3:
        raise ConfigError(f"--cv needs at least 3 folds (train, calibrate, evaluate), not {k}")
    labels = conversation_labels(conversations, "train + validation")
    groups = offender_groups(conversations)
    if len(set(groups)) < k:
        raise InputError(f"{len(set(groups))} offender groups are too few for {k} folds")
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return [held_out for _, held_out in splitter.split(np.zeros(len(labels)), labels, groups)]


def cross_validate(config: TrainConfig, k: int, report: Report = lambda step: None) -> CvResult:
    build_detector(config)  # a bad parameter fails now, before data is read
    report("loading splits")
    pool = load_split(config.data, "train") + load_split(config.data, "validation")
    folds = fold_indices(pool, k, config.seed)
    results = []
    for i, held_out in enumerate(folds):
        report(f"fold {i + 1}/{k}: fitting {config.model}")
        calibration = folds[(i + 1) % k]
        rest = np.setdiff1d(np.arange(len(pool)), np.concatenate([held_out, calibration]))
        detector, _, _ = fit_detector(
            config, [pool[j] for j in rest], [pool[j] for j in calibration]
        )
        evaluation = [pool[j] for j in held_out]
        y = conversation_labels(evaluation, f"fold {i + 1}")
        results.append(point_metrics(y, detector.predict_proba(evaluation), detector.threshold))
    result = CvResult(results)
    report("logging to MLflow")
    _log(config, k, result)
    return result


def _log(config: TrainConfig, k: int, result: CvResult) -> None:
    from groomwatch.training import tracking

    tags = {"groomwatch.model": config.model, "groomwatch.cv_folds": str(k)}
    with tracking.start_run(config.mlflow.experiment, f"{config.model}-cv{k}", tags) as mlflow:
        tracking.log_params(mlflow, config.to_dict() | {"cv_folds": k})
        for step, fold in enumerate(result.folds):
            for name, value in fold.items():
                mlflow.log_metric(f"fold_{name}", value, step=step)
        mlflow.log_metrics({
            f"{name}_{stat}": value
            for name, stats in result.summary().items()
            for stat, value in stats.items()
        })
