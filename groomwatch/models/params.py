"""Checks for detector parameters: a bad value is a ConfigError that names the parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from groomwatch.errors import ConfigError


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, not {value!r}")
    return value


def positive_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"{name} must be a positive number, not {value!r}")
    return float(value)


def count(name: str, value: Any) -> int:
    """A non-negative integer (0 switches something off)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name} must be an integer >= 0, not {value!r}")
    return value


def unit_fraction(name: str, value: Any) -> float:
    """A number in [0, 1), e.g. a dropout rate."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ConfigError(f"{name} must be a number in [0, 1), not {value!r}")
    return float(value)


def ngram_range(name: str, value: Any) -> tuple[int, int]:
    """An inclusive (low, high) n-gram range; JSON gives lists, so lists are accepted."""
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or not 1 <= value[0] <= value[1]
    ):
        raise ConfigError(f"{name} must be [low, high] with 1 <= low <= high, not {value!r}")
    return (value[0], value[1])


def choice(name: str, value: Any, options: Sequence[Any]) -> Any:
    if value not in options:
        raise ConfigError(f"{name} must be one of {', '.join(map(str, options))}, not {value!r}")
    return value
