"""One training run: fit on train, calibrate and pick the threshold on validation, save, card, log.

The run is reproducible from its config: every random generator is seeded and the seed is also
handed to the detector when it takes one. The model directory is written to a temporary sibling
and swapped in at the end, so a failed run never leaves a half-written model behind.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from groomwatch.data.io import load_split
from groomwatch.data.record import Conversation
from groomwatch.data.split import offender_groups
from groomwatch.errors import InputError
from groomwatch.models.base import Detector, conversation_labels
from groomwatch.models.registry import create_detector
from groomwatch.training.card import CARD_JSON, CARD_MD, build_card, by_source, write_card
from groomwatch.training.config import ThresholdPolicy, TrainConfig
from groomwatch.training.metrics import (
    Estimate,
    binomial_estimate,
    choose_threshold,
    flat_metrics,
    validation_metrics,
)

Report = Callable[[str], None]


@dataclass(frozen=True)
class TrainResult:
    out_dir: Path
    threshold: float
    metrics: dict[str, Estimate]
    run_id: str
    model_uri: str


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and — when the detector has loaded it — torch.

    torch is not imported just to seed it: that would cost seconds and make a TF-IDF model
    depend on torch. Detectors that import torch late get the seed through their own parameter.
    """
    random.seed(seed)
    np.random.seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def build_detector(config: TrainConfig) -> Detector:
    """The configured detector, given the run's seed unless its params set one explicitly."""
    detector = create_detector(config.model, **config.params)
    if "seed" in detector.get_params() and "seed" not in config.params:
        detector = create_detector(config.model, **config.params, seed=config.seed)
    return detector


def source_weights(
    weights: dict[str, float], conversations: Sequence[Conversation]
) -> np.ndarray | None:
    """One training weight per conversation from its source (1 for sources not named)."""
    if not weights:
        return None
    return np.array([float(weights.get(c.source or "unknown", 1.0)) for c in conversations])


def pick_threshold(
    policy: ThresholdPolicy,
    validation: Sequence[Conversation],
    y: np.ndarray,
    scores: np.ndarray,
) -> float:
    """The policy's threshold; with ``policy.on`` the FPR counts only that subset's negatives
    (every positive stays, so recall is still over all of them)."""
    if policy.policy != "target-fpr" or not policy.on:
        return choose_threshold(policy, y, scores)
    subset = np.array([policy.selects(c) for c in validation], dtype=bool)
    keep = subset | (y == 1)
    if not np.any(keep & (y == 0)):
        raise InputError(
            f"threshold.on: the validation split has no negatives with {policy.subset_name()} "
            f"(its sources: {', '.join(sorted({c.source or 'unknown' for c in validation}))})"
        )
    return choose_threshold(policy, y[keep], scores[keep])


def _fitted(
    config: TrainConfig, train: Sequence[Conversation], validation: Sequence[Conversation]
) -> Detector:
    detector = build_detector(config)
    seed_everything(config.seed)
    return detector.fit(train, validation,
                        sample_weight=source_weights(config.source_weights, train))


def cross_fitted_negatives(
    config: TrainConfig, train: Sequence[Conversation], validation: Sequence[Conversation]
) -> tuple[list[Conversation], np.ndarray]:
    """The training split's negatives the threshold counts (``threshold.on``), each scored
    by a detector fitted and calibrated as the final one but without that negative's fold.

    Folds are whole groups (a chat room, a conversation's windows), so a negative is scored
    as one from an unseen room would be. Every other training record stays in every fit.
    """
    from sklearn.model_selection import GroupKFold

    policy = config.threshold
    chosen = [c for c in train if c.label == 0 and policy.selects(c)]
    groups = offender_groups(chosen)
    folds = min(policy.cross_fit, len(set(groups)))
    if folds < 2:
        raise InputError(
            f"threshold.cross_fit: the training split has {len(set(groups))} group(s) of "
            f"negatives{' with ' + policy.subset_name() if policy.on else ''}; "
            "cross-fitting needs at least 2"
        )
    held_ids = [id(c) for c in chosen]
    scores = np.empty(len(chosen))
    for _, held in GroupKFold(n_splits=folds).split(chosen, groups=groups):
        left_out = {held_ids[i] for i in held}
        rest = [c for c in train if id(c) not in left_out]
        detector = _fitted(config, rest, validation)
        scores[held] = detector.predict_proba([chosen[i] for i in held])
    return chosen, scores


@dataclass(frozen=True)
class FittedDetector:
    detector: Detector
    #: validation labels and scores
    y: np.ndarray
    scores: np.ndarray
    #: with ``threshold.cross_fit``: the training negatives counted and their out-of-fold scores
    cross_fitted: tuple[list[Conversation], np.ndarray] | None = None

    def cross_fitted_rate(self) -> dict[str, object] | None:
        """The out-of-fold negatives' FPR at the threshold and how many groups they hold, for
        the card: the validation rates alone rest on the validation split's few groups."""
        if self.cross_fitted is None:
            return None
        negatives, scores = self.cross_fitted
        flagged = int(np.sum(scores >= self.detector.threshold))
        return {"groups": len(set(offender_groups(negatives))),
                "fpr": binomial_estimate(flagged, len(negatives)).to_dict()}


def fit_and_threshold(
    config: TrainConfig, train: Sequence[Conversation], validation: Sequence[Conversation]
) -> FittedDetector:
    """Fit, then set the threshold by the config's policy (with ``threshold.cross_fit`` it also
    counts the out-of-fold training negatives)."""
    detector = _fitted(config, train, validation)
    y = conversation_labels(validation, "validation")
    scores = detector.predict_proba(validation)
    counted, counted_y, counted_scores = list(validation), y, scores
    crossed = None
    if config.threshold.cross_fit:
        crossed = cross_fitted_negatives(config, train, validation)
        negatives, negative_scores = crossed
        counted += negatives
        counted_y = np.concatenate([y, np.zeros(len(negatives), dtype=y.dtype)])
        counted_scores = np.concatenate([scores, negative_scores])
    detector.threshold = pick_threshold(config.threshold, counted, counted_y, counted_scores)
    return FittedDetector(detector, y, scores, crossed)


def fit_detector(
    config: TrainConfig, train: Sequence[Conversation], validation: Sequence[Conversation]
) -> tuple[Detector, np.ndarray, np.ndarray]:
    """``fit_and_threshold``'s detector with the validation labels and scores."""
    fitted = fit_and_threshold(config, train, validation)
    return fitted.detector, fitted.y, fitted.scores


def train(config: TrainConfig, report: Report = lambda step: None) -> TrainResult:
    """Run the whole training recipe of ``config`` and return where the model went."""
    from groomwatch.training import tracking
    from groomwatch.training.plots import write_plots

    build_detector(config)  # a bad parameter fails now, before data is read
    report("loading splits")
    splits = {name: load_split(config.data, name) for name in ("train", "validation")}
    report(f"fitting {config.model} on {len(splits['train'])} conversations")
    fitted = fit_and_threshold(config, splits["train"], splits["validation"])
    detector, y, scores = fitted.detector, fitted.y, fitted.scores
    report("computing validation metrics")
    metrics = validation_metrics(
        y, scores, detector.threshold, resamples=config.bootstrap, seed=config.seed
    )
    report(f"saving to {config.out_dir}")
    card = build_card(
        config=config,
        params=detector.get_params(),
        splits=splits,
        metrics=metrics,
        threshold=detector.threshold,
        source_rates=by_source(
            splits["validation"], y, scores, detector.threshold, config.threshold
        ),
        cross_fitted=fitted.cross_fitted_rate(),
    )
    scratch = Path(tempfile.mkdtemp(prefix=f".{config.out_dir.name}.", dir=_parent(config.out_dir)))
    staging = scratch / "detector"  # the name the detector gets inside the MLflow model
    try:
        detector.save(staging)
        write_card(staging, card)
        plots = write_plots(staging / "plots", y, scores, detector.threshold)
        report("logging to MLflow")
        tags = {"groomwatch.model": config.model, "groomwatch.data": str(config.data)}
        with tracking.start_run(config.mlflow.experiment, config.model, tags) as mlflow:
            tracking.log_params(mlflow, config.to_dict() | {"params": detector.get_params()})
            mlflow.log_metrics(flat_metrics(metrics) | {"threshold": detector.threshold})
            for artifact in (staging / CARD_MD, staging / CARD_JSON, *plots):
                mlflow.log_artifact(str(artifact))
            model_uri = tracking.log_pyfunc(mlflow, staging, config.registered_model)
            run_id = mlflow.active_run().info.run_id
        _replace_dir(staging, config.out_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return TrainResult(config.out_dir, detector.threshold, metrics, run_id, model_uri)


def _parent(directory: Path) -> Path:
    directory.parent.mkdir(parents=True, exist_ok=True)
    return directory.parent


def _replace_dir(source: Path, target: Path) -> None:
    """Move ``source`` to ``target``, replacing an older model there only once it is complete."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    source.rename(target)
    shutil.rmtree(old, ignore_errors=True)
