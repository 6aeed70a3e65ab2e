"""Compiled grammars draw each wording with the probability the template tree gives it."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from groomwatch.data.synth.grammar import Grammar
from groomwatch.data.synth.grammar.compiled import Table

_FILLERS = {
    "a": ["x", "y {b?}", "(p|q|r) {b}"],
    "b": ["1", "2"],
    "greet": ["hi {a}", "hey {SELF}"],
}


def _grammar() -> Grammar:
    from groomwatch.data.synth.grammar import MOVES

    rules = {move: ["ok"] for move in MOVES} | _FILLERS
    return Grammar("xx", rules, {})


def test_a_finite_rule_becomes_one_table_with_the_tree_walk_probabilities():
    table = _grammar()._compiled["a"]
    assert isinstance(table, Table)
    probabilities = dict(zip(table.texts, _differences(table.cumulative), strict=True))
    # "x" 1/3; "y " + "" 1/6, "y 1" and "y 2" 1/12 each; "p 1" ... "r 2" 1/18 each
    assert probabilities["x"] == pytest.approx(1 / 3)
    assert probabilities["y "] == pytest.approx(1 / 6)
    assert probabilities["y 1"] == pytest.approx(1 / 12)
    assert probabilities["q 2"] == pytest.approx(1 / 18)
    assert sum(probabilities.values()) == pytest.approx(1)


def test_drawn_frequencies_follow_the_template_tree():
    grammar, rng = _grammar(), random.Random(4)
    counts = Counter(grammar.expand("a", rng) for _ in range(36000))
    assert counts["x"] / 36000 == pytest.approx(1 / 3, abs=0.01)
    assert counts["y"] / 36000 == pytest.approx(1 / 6, abs=0.01)  # tidied: no trailing space
    assert counts["r 1"] / 36000 == pytest.approx(1 / 18, abs=0.005)


def test_context_slots_stay_open_until_expansion():
    grammar, rng = _grammar(), random.Random(1)
    wordings = {grammar.expand("greet", rng, {"SELF": "15"}) for _ in range(200)}
    assert "hey 15" in wordings and any(w.startswith("hi ") for w in wordings)


def _differences(cumulative: tuple[float, ...]) -> list[float]:
    return [b - a for a, b in zip((0.0, *cumulative), cumulative, strict=False)]
