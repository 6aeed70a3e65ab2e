"""Training configuration: one YAML file says what to train, on what, and how to pick the threshold.

A config is checked completely before any data is read, so a typo fails in a second with a
message naming the file and key, not after an hour of training. The package ships one config
per detector (``groomwatch/training/configs/<name>.yaml``); ``--config tfidf`` names one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from groomwatch.errors import ConfigError
from groomwatch.models.registry import DETECTORS

CONFIG_DIR = Path(__file__).parent / "configs"
THRESHOLD_POLICIES = ("target-fpr", "fixed")
#: Conversation fields a threshold subset (``threshold.on``) and source weights can name.
GROUP_KEYS = ("source", "platform", "language")


@dataclass(frozen=True)
class ThresholdPolicy:
    """How the decision threshold is set: lowest one with validation FPR <= target, or fixed.

    ``on`` restricts the negatives the FPR is measured on, e.g. ``{"source": "nps"}``: a
    threshold set on easy benign chat says nothing about hard look-alikes, so a real-data
    config sets it where the hard negatives are. A value may be a list (any of them matches).

    ``cross_fit: k`` (k >= 2) adds the training split's negatives of that subset, each scored
    out of fold: they are cut into k folds by group (room, conversation) and each fold is
    scored by the detector fitted without it. A validation split with few groups of hard
    negatives (two chat rooms) gives a threshold that does not transfer to other rooms; the
    training split's groups, scored as unseen ones, make the estimate rest on many more.
    """

    policy: str = "target-fpr"
    target_fpr: float = 0.01
    value: float = 0.5
    on: dict[str, Any] = field(default_factory=dict)
    cross_fit: int = 0

    def describe(self) -> str:
        if self.policy == "fixed":
            return f"fixed at {self.value:g}"
        negatives = f"'s negatives with {self.subset_name()}" if self.on else ""
        crossed = (
            f" and the training split's, each scored out of fold ({self.cross_fit} folds)"
            if self.cross_fit else ""
        )
        return (
            f"lowest threshold whose false positive rate on the validation split{negatives}"
            f"{crossed} is at most {self.target_fpr:g}"
        )

    def subset_name(self) -> str:
        """``source nps`` for ``on: {source: nps}``."""
        parts = [f"{key} {' or '.join(_values(value))}" for key, value in (self.on or {}).items()]
        return " and ".join(parts)

    def selects(self, conversation: Any) -> bool:
        """Whether ``conversation`` is in the subset the FPR is measured on."""
        return all(
            (getattr(conversation, key) or "unknown") in _values(value)
            for key, value in (self.on or {}).items()
        )


def _values(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@dataclass(frozen=True)
class MlflowSettings:
    experiment: str = "groomwatch"
    #: Name in the MLflow model registry; empty means ``groomwatch-<model>``.
    registered_model: str = ""


@dataclass(frozen=True)
class TrainConfig:
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    data: Path = Path("data/synth")
    #: Where the detector and its model card go; empty means ``models/<model>``.
    out: Path = Path()
    seed: int = 0
    threshold: ThresholdPolicy = ThresholdPolicy()
    #: Bootstrap resamples (of conversations) behind the ROC-AUC and recall intervals.
    bootstrap: int = 1000
    #: Training sample weight per conversation source (default 1), e.g. ``{"nps": 3}`` to make
    #: the hard negatives count more than easy ones; detectors without weights refuse it.
    source_weights: dict[str, float] = field(default_factory=dict)
    mlflow: MlflowSettings = MlflowSettings()

    @property
    def out_dir(self) -> Path:
        return self.out if str(self.out) not in ("", ".") else Path("models") / self.model

    @property
    def registered_model(self) -> str:
        return self.mlflow.registered_model or f"groomwatch-{self.model}"

    def with_overrides(self, **overrides: Any) -> TrainConfig:
        """A copy with command-line values replacing the file's (``None`` keeps the file's)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return _checked(dataclasses.replace(self, **given), "command line")

    def to_dict(self) -> dict[str, Any]:
        """Plain values for MLflow parameters and the model card."""
        data = dataclasses.asdict(self)
        data["data"] = str(self.data)
        data["out"] = str(self.out_dir)
        data["mlflow"]["registered_model"] = self.registered_model
        return data


def shipped_configs() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def resolve_config(name_or_path: str | Path) -> Path:
    """A config file from a path, a path inside the package, a shipped config's name (``tfidf``)
    or the name of the detector a shipped config trains (``tfidf-lr``), so neither is a trap."""
    candidates = [
        Path(name_or_path),
        Path(__file__).parents[1] / name_or_path,
        CONFIG_DIR / f"{name_or_path}.yaml",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    if name_or_path in DETECTORS:
        return shipped_config_for(str(name_or_path))
    raise ConfigError(
        f"no config file {str(name_or_path)!r}; give a path, a shipped config "
        f"({', '.join(shipped_configs())}) or a detector ({', '.join(DETECTORS)})"
    )


def shipped_config_for(model: str) -> Path:
    """The shipped config that trains ``model`` (what ``--model`` alone uses): the one with
    the shortest name, so ``tfidf`` wins over variants such as ``tfidf-real``."""
    paths = sorted(CONFIG_DIR.glob("*.yaml"), key=lambda p: (len(p.stem), p.stem))
    for path in paths:
        if yaml.safe_load(path.read_text()).get("model") == model:
            return path
    raise ConfigError(f"no shipped config trains {model!r}; choose one of: {', '.join(DETECTORS)}")


def load_config(name_or_path: str | Path) -> TrainConfig:
    path = resolve_config(name_or_path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    return config_from_dict(raw, str(path))


def config_from_dict(raw: Any, where: str) -> TrainConfig:
    """Build and check a config from decoded YAML; every mistake names ``where`` and the key."""
    mapping = _mapping(raw, where)
    _known_keys(mapping, TrainConfig, where)
    if "model" not in mapping:
        raise ConfigError(f"{where}: missing key 'model' (one of: {', '.join(DETECTORS)})")
    values = dict(mapping)
    for key, cls in (("threshold", ThresholdPolicy), ("mlflow", MlflowSettings)):
        if key in values:
            section = _mapping(values[key], f"{where}: {key}")
            if True in section:  # YAML 1.1 reads a bare `on:` key as the boolean true
                section = {("on" if k is True else k): v for k, v in section.items()}
            _known_keys(section, cls, f"{where}: {key}")
            values[key] = cls(**section)
    for key in ("data", "out"):
        if key in values:
            values[key] = Path(_text(values[key], f"{where}: {key}"))
    return _checked(TrainConfig(**values), where)


def _checked(config: TrainConfig, where: str) -> TrainConfig:
    if config.model not in DETECTORS:
        raise ConfigError(
            f"{where}: unknown model {config.model!r}; choose one of: {', '.join(DETECTORS)}"
        )
    _mapping(config.params, f"{where}: params")
    _integer(config.seed, f"{where}: seed", minimum=0)
    _integer(config.bootstrap, f"{where}: bootstrap", minimum=100)
    policy = config.threshold
    if policy.policy not in THRESHOLD_POLICIES:
        raise ConfigError(
            f"{where}: threshold.policy must be one of {', '.join(THRESHOLD_POLICIES)}, "
            f"not {policy.policy!r}"
        )
    _fraction(policy.target_fpr, f"{where}: threshold.target_fpr", open_interval=True)
    _subset(policy.on, f"{where}: threshold.on")
    _integer(policy.cross_fit, f"{where}: threshold.cross_fit", minimum=0)
    if policy.cross_fit == 1 or (policy.cross_fit and policy.policy != "target-fpr"):
        raise ConfigError(
            f"{where}: threshold.cross_fit must be 0 (off) or at least 2 folds, with the "
            f"target-fpr policy; not {policy.cross_fit!r} with {policy.policy!r}"
        )
    weights = _mapping(config.source_weights, f"{where}: source_weights")
    for source, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
            raise ConfigError(
                f"{where}: source_weights.{source} must be a positive number, not {weight!r}"
            )
    _fraction(policy.value, f"{where}: threshold.value", open_interval=False)
    _text(config.mlflow.experiment, f"{where}: mlflow.experiment")
    if not isinstance(config.mlflow.registered_model, str):
        raise ConfigError(f"{where}: mlflow.registered_model must be a string")
    return config


def _subset(on: Any, where: str) -> None:
    for key, value in _mapping(on, where).items():
        if key not in GROUP_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} (known keys: {', '.join(GROUP_KEYS)})")
        values = [value] if isinstance(value, str) else value
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) and v for v in values)
        ):
            raise ConfigError(f"{where}.{key} must be a name or a list of names, not {value!r}")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: must be a mapping of keys to values, not {_kind(value)}")
    return value


def _kind(value: object) -> str:
    return type(value).__name__


def _known_keys(mapping: dict[str, Any], cls: type, where: str) -> None:
    known = [f.name for f in dataclasses.fields(cls)]
    for key in mapping:
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r} (known keys: {', '.join(known)})")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where} must be a non-empty string, not {value!r}")
    return value


def _integer(value: Any, where: str, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{where} must be an integer >= {minimum}, not {value!r}")


def _fraction(value: Any, where: str, *, open_interval: bool) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    ok = ok and (0 < value < 1 if open_interval else 0 <= value <= 1)
    if not ok:
        bounds = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise ConfigError(f"{where} must be a number {bounds}, not {value!r}")
