"""The shared text perturbations: named, seedable, rate-controlled, and token-safe."""

from __future__ import annotations

import random

import pytest

from groomwatch.data.perturb import PERTURBATIONS

TEXT = "hey are you coming to the park later? i [SEXUAL_CONTENT] will bring the football"


def test_registry_names():
    assert {"typos", "leet", "emoji", "casing", "spacing"} <= set(PERTURBATIONS)


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_rate_zero_leaves_text_unchanged(name):
    assert PERTURBATIONS[name](TEXT, random.Random(1), 0.0) == TEXT


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_high_rate_changes_text_but_keeps_tokens(name):
    changed = [PERTURBATIONS[name](TEXT, random.Random(seed), 0.9) for seed in range(20)]
    assert any(text != TEXT for text in changed)
    assert all("[SEXUAL_CONTENT]" in text for text in changed)


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_same_seed_same_result(name):
    func = PERTURBATIONS[name]
    assert func(TEXT, random.Random(7), 0.3) == func(TEXT, random.Random(7), 0.3)


def test_typo_rate_scales_the_number_of_edits():
    def edits(rate: float) -> int:
        rng = random.Random(3)
        return sum(PERTURBATIONS["typos"](TEXT, rng, rate) != TEXT for _ in range(300))

    assert edits(0.002) < edits(0.02) < edits(0.2)


def test_leet_writes_digits():
    assert any(
        c.isdigit() for c in PERTURBATIONS["leet"]("see you tomorrow", random.Random(2), 1.0)
    )
