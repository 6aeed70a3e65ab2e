"""A small labelled split directory for training-run tests, and a throwaway MLflow store.

Grooming conversations mix grooming-behaviour lines (neutral wording, no sexual content) into
ordinary chat; benign ones use look-alike lines, so the model must learn more than a keyword.
Offender personas recur across conversations, as in the synthetic generator, so grouped
cross-validation has groups to keep together.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from groomwatch.data.io import write_conversations
from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.training.config import TrainConfig, load_config
from groomwatch.training.run import TrainResult, train

GROOMING = [
    "you are so mature for your age",
    "dont tell your parents about our chats",
    "are you home alone right now",
    "lets keep this our little secret",
    "delete our messages after you read them",
    "can we move to a private app",
    "we should meet without telling anyone",
]
BENIGN = [
    "did you finish the maths homework",
    "what game are you playing tonight",
    "my parents bought a new car",
    "keep the party a secret from my sister",
    "delete that photo i look awful",
    "are you going to the match on saturday",
    "lets play again tomorrow after school",
    "my mum says dinner is ready",
]
FILLER = ["ok", "lol", "yeah", "cool", "idk"]


def _conversation(rng: random.Random, index: int, label: int) -> Conversation:
    adult = f"persona{rng.randrange(40)}" if label else f"adult{index}"
    messages = []
    for i in range(rng.randint(6, 24)):
        author = adult if i % 2 == 0 else f"child{index}"
        grooming = label and author == adult and rng.random() < 0.4
        text = rng.choice(GROOMING if grooming else BENIGN)
        messages.append(Message(author_id=author, text=f"{rng.choice(FILLER)} {text}"))
    return Conversation(
        conversation_id=f"c{index}",
        participants=[
            Participant(author_id=adult, role="adult", offender=bool(label)),
            Participant(author_id=f"child{index}", role="child", offender=False),
        ],
        messages=messages,
        label=label,
        language="en",
        source="fixture",
    )


def write_split_dir(directory: Path, sizes: dict[str, int], seed: int = 0) -> Path:
    rng = random.Random(seed)
    index = 0
    for split, n in sizes.items():
        convs = []
        for _ in range(n):
            convs.append(_conversation(rng, index, int(rng.random() < 0.3)))
            index += 1
        write_conversations(directory / f"{split}.jsonl", convs)
    (directory / "README.md").write_text("# Fixture dataset\nHand-built templates for tests.\n")
    return directory


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_split_dir(
        tmp_path_factory.mktemp("data"), {"train": 240, "validation": 120, "test": 80}
    )


@pytest.fixture
def mlflow_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


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
def trained(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainedRun:
    """One training run shared by the tests that only inspect its outputs."""
    root = tmp_path_factory.mktemp("run")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        config = _small_config(data_dir, root / "models" / "tfidf")
        result = train(config)
    return TrainedRun(config, result, uri)


@dataclasses.dataclass(frozen=True)
class TrainedRun:
    config: TrainConfig
    result: TrainResult
    tracking_uri: str
