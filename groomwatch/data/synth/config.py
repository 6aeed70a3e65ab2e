"""Every knob of the generator in one dataclass; YAML files set any subset of them.

Unknown keys are errors rather than silently ignored, because a misspelt knob would otherwise
produce a dataset the user did not ask for.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from groomwatch.data.synth.grammar import LANGUAGES
from groomwatch.errors import ConfigError

PLATFORMS = ("game_chat", "social_dm", "messenger", "forum_pm")
STRATEGIES = ("flattery", "gifts", "mentoring", "peer_pretence", "pressure")
SCENARIOS = (
    "adults_flirting",
    "parent_child",
    "relative_child",
    "coach_pupil",
    "teens_flirting",
    "gaming_banter",
    "friends_photos",
    "customer_support",
    "new_acquaintances",
    "drifting_chat",
    "adults_chatting",
    "chitchat",
    "chat_room",
)


@dataclass
class NoiseConfig:
    """Upper bounds of each writer's noise rates; a writer's own rate is drawn below the bound."""

    typos: float = 0.03
    leet: float = 0.02
    emoji: float = 0.1
    casing: float = 0.4
    spacing: float = 0.02
    repeats: float = 0.04
    abbreviations: float = 0.9
    #: share of a writer's messages that run on with a remark about something everyday
    run_on: float = 0.15
    #: share of instant-message writers who start messages with a capital letter (11% of real
    #: offender lines and 12% of chat-room lines start with one; see ``surface.REGISTERS``)
    tidy_writers: float = 0.12


@dataclass
class SynthConfig:
    """What to generate. Defaults give a general-purpose six-language set."""

    n: int = 5000
    prevalence: float = 0.1
    languages: list[str] = field(default_factory=lambda: list(LANGUAGES))
    seed: int = 7
    #: train / validation / test shares
    split: list[float] = field(default_factory=lambda: [0.7, 0.15, 0.15])
    #: messages per conversation: log-normal with this median and sigma, clipped to the bounds
    length_median: float = 26.0
    length_sigma: float = 0.85
    min_messages: int = 6
    max_messages: int = 300
    #: mean number of conversations per offender persona (each with a different child)
    conversations_per_offender: float = 1.6
    #: share of offenders who escalate fast (the rest escalate slowly)
    fast_escalation: float = 0.5
    platforms: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PLATFORMS, 1.0))
    strategies: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STRATEGIES, 1.0))
    scenarios: dict[str, float] = field(
        default_factory=lambda: {
            "adults_flirting": 1.5,
            "parent_child": 1.5,
            "relative_child": 0.8,
            "coach_pupil": 1.0,
            "teens_flirting": 1.5,
            "gaming_banter": 1.2,
            "friends_photos": 1.0,
            "customer_support": 0.6,
            "new_acquaintances": 3.0,
            "drifting_chat": 1.5,
            "adults_chatting": 3.0,
            "chitchat": 4.0,
            "chat_room": 3.0,
        }
    )
    noise: NoiseConfig = field(default_factory=NoiseConfig)
    #: keep redaction placeholders such as ``[IMAGE]`` or ``[ADDRESS]`` in the text; off by
    #: default because real chat has none and a detector would learn them as grooming words
    redaction_tokens: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the first value that cannot work."""
        for name in _WHOLE:
            if not isinstance(getattr(self, name), int) or isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be a whole number, not {getattr(self, name)!r}")
        for name in _NUMBERS:
            if not _is_number(getattr(self, name)):
                raise ConfigError(f"{name} must be a number, not {getattr(self, name)!r}")
        if not isinstance(self.redaction_tokens, bool):
            raise ConfigError(
                f"redaction_tokens must be true or false, not {self.redaction_tokens!r}"
            )
        if not isinstance(self.languages, list) or not isinstance(self.split, list):
            raise ConfigError("languages and split must be lists")
        if not all(_is_number(s) for s in self.split):
            raise ConfigError(f"split must hold numbers, not {self.split!r}")
        if self.n < 1:
            raise ConfigError(f"n must be a positive whole number, not {self.n!r}")
        if not 0 <= self.prevalence <= 1:
            raise ConfigError(f"prevalence must be between 0 and 1, not {self.prevalence!r}")
        if not self.languages:
            raise ConfigError("languages must name at least one language")
        for language in self.languages:
            if language not in LANGUAGES:
                raise ConfigError(
                    f"unknown language {language!r}; choose from {', '.join(LANGUAGES)}"
                )
        if (
            len(self.split) != 3
            or any(s < 0 for s in self.split)
            or abs(sum(self.split) - 1) > 1e-6
        ):
            raise ConfigError(
                f"split must be three non-negative shares summing to 1, not {self.split}"
            )
        if not 1 <= self.min_messages <= self.max_messages:
            raise ConfigError("need 1 <= min_messages <= max_messages")
        if self.length_median <= 0 or self.length_sigma < 0:
            raise ConfigError("length_median must be positive and length_sigma non-negative")
        if self.conversations_per_offender < 1:
            raise ConfigError("conversations_per_offender must be at least 1")
        if not 0 <= self.fast_escalation <= 1:
            raise ConfigError("fast_escalation must be between 0 and 1")
        for name, weights, known in (
            ("platforms", self.platforms, PLATFORMS),
            ("strategies", self.strategies, STRATEGIES),
            ("scenarios", self.scenarios, SCENARIOS),
        ):
            _check_weights(name, weights, known)
        for key, value in dataclasses.asdict(self.noise).items():
            if not _is_number(value) or not 0 <= value <= 1:
                raise ConfigError(f"noise.{key} must be between 0 and 1, not {value!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_WHOLE = ("n", "seed", "min_messages", "max_messages")
_NUMBERS = (
    "prevalence",
    "length_median",
    "length_sigma",
    "conversations_per_offender",
    "fast_escalation",
)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_weights(name: str, weights: dict[str, float], known: tuple[str, ...]) -> None:
    if not isinstance(weights, dict):
        raise ConfigError(f"{name} must be a mapping of name to weight")
    for key, value in weights.items():
        if key not in known:
            raise ConfigError(f"unknown {name} entry {key!r}; choose from {', '.join(known)}")
        if not _is_number(value) or value < 0:
            raise ConfigError(f"{name}.{key} must be a non-negative number, not {value!r}")
    if not any(weights.values()):
        raise ConfigError(f"{name} needs at least one positive weight")


def _build(cls: type, data: Any, where: str) -> Any:
    """Construct a config dataclass from a mapping, rejecting unknown keys by name."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'} must be a mapping, not {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(
            f"unknown config key {prefix}{unknown[0]}; known keys: {', '.join(sorted(fields))}"
        )
    values = dict(data)
    if cls is SynthConfig and "noise" in values:
        values["noise"] = _build(NoiseConfig, values["noise"], "noise")
    if cls is SynthConfig and isinstance(values.get("languages"), str):
        values["languages"] = parse_languages(values["languages"])
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"bad config value: {exc}") from None


def parse_languages(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def config_from_dict(data: dict[str, Any]) -> SynthConfig:
    return _build(SynthConfig, data, "")


def load_config(path: str | Path, **overrides: Any) -> SynthConfig:
    """Read a YAML config; ``overrides`` (e.g. from command-line options) win over the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping of keys to values")
    try:
        return config_from_dict({**data, **overrides})
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
