"""A small generated split directory for training-run tests, and a throwaway MLflow store.

The data comes from the synthetic generator (the same code as ``groomwatch synth``) at a small
size and a higher prevalence than the default, so validation has enough grooming conversations
for the 1% FPR threshold and the metrics to mean something.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from groomwatch.data.io import write_conversations
from groomwatch.data.split import split_conversations
from groomwatch.data.synth import GENERATOR_VERSION, iter_conversations
from groomwatch.data.synth.card import render_card
from groomwatch.data.synth.config import config_from_dict
from groomwatch.training.config import TrainConfig, load_config
from groomwatch.training.run import TrainResult, train

#: 300 train / 180 validation / 120 test conversations, 30% grooming.
SYNTH = {"n": 600, "prevalence": 0.3, "seed": 3, "split": [0.5, 0.3, 0.2]}


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("data")
    settings = config_from_dict(SYNTH)
    splits = split_conversations(list(iter_conversations(settings)), settings.split, settings.seed)
    for name, conversations in splits.items():
        write_conversations(directory / f"{name}.jsonl", conversations)
    card = render_card(settings, splits, None, GENERATOR_VERSION)
    (directory / "README.md").write_text(card, encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def tracking_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite tracking store for the session (creating one costs seconds of migrations)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture
def mlflow_uri(tracking_store: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_store)
    return tracking_store


def _small_config(data: Path, out: Path, **overrides: object) -> TrainConfig:
    """The shipped tfidf config with sizes and bootstrap cut down for a fast test."""
    config = load_config("tfidf")
    small = dataclasses.replace(
        config, params=config.params | {"max_features": 5000}, bootstrap=200
    )
    return small.with_overrides(data=data, out=out, **overrides)


@pytest.fixture(scope="session")
def small_config():
    """The builder of fast configs (test modules cannot import conftest)."""
    return _small_config


@pytest.fixture(scope="session")
def trained(
    data_dir: Path, tracking_store: str, tmp_path_factory: pytest.TempPathFactory
) -> TrainedRun:
    """One training run shared by the tests that only inspect its outputs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", tracking_store)
        config = _small_config(data_dir, tmp_path_factory.mktemp("run") / "tfidf")
        result = train(config)
    return TrainedRun(config, result, tracking_store)


@dataclasses.dataclass(frozen=True)
class TrainedRun:
    config: TrainConfig
    result: TrainResult
    tracking_uri: str
