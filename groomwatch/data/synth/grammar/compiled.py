"""Grammar templates compiled for fast expansion: every finite part becomes a lookup table.

Expanding a template by walking its parse tree costs several Python calls and random draws per
part. Most parts — filler rules, inline choices, whole short alternatives — have only a few
hundred possible wordings, so they are enumerated once, with the probability the tree walk
would give each wording, and later drawn with one random number and a binary search. Only
parts with context slots, self-reference or too many wordings keep a (smaller) tree.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from itertools import accumulate

#: the most wordings a part may have and still become a table
MAX_WORDINGS = 3000


@dataclass(frozen=True)
class Ref:
    """``{name}`` (or ``{name?}``, expanded half of the time) in a parsed template."""

    name: str
    optional: bool


@dataclass(frozen=True)
class Choice:
    """An inline ``(a|b|)`` choice in a parsed template; each option is a part sequence."""

    options: tuple[tuple, ...]


@dataclass(frozen=True)
class Slot:
    """An upper-case context slot such as ``{SELF}``, filled by the caller."""

    name: str


@dataclass(frozen=True)
class Table:
    """A part with few wordings: draw one with its probability."""

    texts: tuple[str, ...]
    cumulative: tuple[float, ...]

    def draw(self, rng: random.Random) -> str:
        index = bisect(self.cumulative, rng.random() * self.cumulative[-1])
        return self.texts[min(index, len(self.texts) - 1)]


@dataclass(frozen=True)
class OneOf:
    """A uniform choice between compiled parts that could not all become one table."""

    options: tuple


@dataclass(frozen=True)
class Call:
    """A reference to a rule that stays a tree (it refers to itself or is too large)."""

    name: str
    optional: bool


Distribution = dict[str, float]


class Compiler:
    """Turns parsed rules (name → alternative part sequences) into compiled nodes."""

    def __init__(self, rules: dict[str, tuple[tuple, ...]]) -> None:
        self._rules = rules
        self._memo: dict[str, Distribution | None] = {}
        self._visiting: set[str] = set()

    def rule(self, name: str) -> object:
        """The compiled form of a whole rule (a uniform choice of its alternatives)."""
        distribution = self._rule_distribution(name)
        if distribution is not None:
            return _table(distribution)
        return OneOf(tuple(self._sequence(alt) for alt in self._rules[name]))

    # -- enumeration: the exact distribution of wordings, or None if too many ----------------
    def _rule_distribution(self, name: str) -> Distribution | None:
        if name in self._memo:
            return self._memo[name]
        if name in self._visiting:  # self-reference: infinitely many wordings
            return None
        self._visiting.add(name)
        result = _mixture([self._sequence_distribution(alt) for alt in self._rules[name]])
        self._visiting.discard(name)
        self._memo[name] = result
        return result

    def _sequence_distribution(self, sequence: tuple) -> Distribution | None:
        result: Distribution = {"": 1.0}
        for part in sequence:
            part_distribution = self._part_distribution(part)
            if part_distribution is None or len(result) * len(part_distribution) > MAX_WORDINGS:
                return None
            result = _product(result, part_distribution)
        return result

    def _part_distribution(self, part: object) -> Distribution | None:
        if isinstance(part, str):
            return {part: 1.0}
        if isinstance(part, Choice):
            return _mixture([self._sequence_distribution(o) for o in part.options])
        if part.name.isupper():
            return None
        distribution = self._rule_distribution(part.name)
        if distribution is None or not part.optional:
            return distribution
        return _mixture([{"": 1.0}, distribution])

    # -- compilation -----------------------------------------------------------------------
    def _sequence(self, sequence: tuple) -> object:
        distribution = self._sequence_distribution(sequence)
        if distribution is not None:
            return _table(distribution)
        parts = tuple(self._part(part) for part in sequence)
        return parts[0] if len(parts) == 1 else parts

    def _part(self, part: object) -> object:
        if isinstance(part, str):
            return part
        if isinstance(part, Choice):
            distribution = self._part_distribution(part)
            if distribution is not None:
                return _table(distribution)
            return OneOf(tuple(self._sequence(option) for option in part.options))
        if part.name.isupper():
            return Slot(part.name)
        distribution = self._part_distribution(part)
        if distribution is not None:
            return _table(distribution)
        return Call(part.name, part.optional)


def _mixture(distributions: list[Distribution | None]) -> Distribution | None:
    """Pick one of ``distributions`` uniformly, then a wording from it."""
    if any(d is None for d in distributions):
        return None
    result: Distribution = {}
    weight = 1.0 / len(distributions)
    for distribution in distributions:
        for text, p in distribution.items():
            result[text] = result.get(text, 0.0) + weight * p
    return result if len(result) <= MAX_WORDINGS else None


def _product(left: Distribution, right: Distribution) -> Distribution:
    result: Distribution = {}
    for a, p in left.items():
        for b, q in right.items():
            result[a + b] = result.get(a + b, 0.0) + p * q
    return result


def _table(distribution: Distribution) -> Table:
    texts = tuple(distribution)
    return Table(texts, tuple(accumulate(distribution[t] for t in texts)))


def emit(
    node: object, rules: dict[str, object], rng: random.Random, context: dict, out: list
) -> None:
    """Append one random wording of a compiled ``node`` to ``out``."""
    kind = type(node)
    if kind is str:
        out.append(node)
    elif kind is Table:
        out.append(node.draw(rng))
    elif kind is tuple:
        for part in node:
            emit(part, rules, rng, context, out)
    elif kind is OneOf:
        options = node.options
        emit(options[int(rng.random() * len(options))], rules, rng, context, out)
    elif kind is Call:
        if not node.optional or rng.random() < 0.5:
            emit(rules[node.name], rules, rng, context, out)
    else:
        out.append(context.get(node.name, ""))
