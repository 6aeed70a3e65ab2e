"""Personas keep their facts: the age, town and pet a person gives stay the same all chat long,
and an offender keeps their habits across all their conversations."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from groomwatch.data.record import Conversation
from groomwatch.data.synth import SynthConfig, generate
from groomwatch.data.synth.config import NoiseConfig
from groomwatch.data.synth.grammar.en import RULES

_QUIET = NoiseConfig(**dict.fromkeys(("typos", "leet", "emoji", "casing", "spacing", "repeats"), 0))
_AGE = re.compile(r"(?:^|\b(?:im|i'm|turned) )(\d{1,2})\b(?![:/]\d)")
_TOWNS = tuple(sorted(RULES["town"], key=len, reverse=True))
_PETS = frozenset(RULES["pet_name"])
_DEAR = frozenset(RULES["dear"])


@pytest.fixture(scope="module")
def grooming() -> list[Conversation]:
    config = SynthConfig(n=2000, prevalence=1.0, languages=["en"], seed=31, noise=_QUIET)
    return generate(config)


def _towns(text: str) -> set[str]:
    return {town for town in _TOWNS if re.search(rf"\b{re.escape(town)}\b", text)}


def test_a_child_always_gives_the_same_age(grooming: list[Conversation]):
    checked = 0
    for conv in grooming:
        child = next(p for p in conv.participants if p.role == "child")
        for message in conv.messages:
            if message.author_id == child.author_id:
                for stated in _AGE.findall(message.text):
                    assert int(stated) == child.extra["age"], message.text
                    checked += 1
    assert checked > 150  # a child states its age in about one chat in ten


def test_towns_and_pets_named_are_the_two_personas_own(grooming: list[Conversation]):
    """Each person names at most their own town and the other's (and the same for pets)."""
    named_towns = named_pets = 0
    for conv in grooming:
        towns: dict[str, set[str]] = defaultdict(set)
        pets: dict[str, set[str]] = defaultdict(set)
        for message in conv.messages:
            towns[message.author_id] |= _towns(message.text)
            pets[message.author_id] |= set(re.findall(r"\w+", message.text)) & _PETS
        for facts in (towns, pets):
            assert len(set().union(*facts.values(), set())) <= 2, conv.conversation_id
        named_towns += sum(map(len, towns.values()))
        named_pets += sum(map(len, pets.values()))
    # enough named facts for the check to mean something (3.2's added offender lines name pets
    # a little less often: 50 of 2,000 chats)
    assert named_towns > 300 and named_pets > 40


def test_an_offender_keeps_one_pet_name_for_children(grooming: list[Conversation]):
    used: dict[str, set[str]] = defaultdict(set)
    for conv in grooming:
        offender = conv.offender_ids[0]
        for message in conv.messages:
            if message.author_id == offender:
                used[offender] |= set(re.findall(r"\w+", message.text)) & _DEAR
    # "girl" and "beautiful" also occur in ordinary offender lines; a second pet name fails
    assert all(len(names - {"girl", "beautiful"}) <= 1 for names in used.values())
    assert sum(bool(names) for names in used.values()) > 100
