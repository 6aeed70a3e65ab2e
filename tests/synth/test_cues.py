"""Cue priors: grooming shows every grooming cue more often than benign chat, as real logs do."""

from __future__ import annotations

import pytest

from groomwatch.data.record import Conversation
from groomwatch.data.synth import SynthConfig, generate
from groomwatch.data.synth.cues import (
    CUES,
    REAL_RATES,
    conversation_cue_rates,
    cue_rates,
    message_cues,
)


@pytest.fixture(scope="module")
def english() -> list[Conversation]:
    return generate(SynthConfig(n=3000, prevalence=0.3, languages=["en"], seed=21))


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("asl?", "age"),
        ("how old r u", "age"),
        ("r ur parents home", "alone"),
        ("where do u live", "location"),
        ("dont tell anyone ok", "secrecy"),
        ("whats ur number", "private"),
        ("u got a cam?", "photo"),
        ("ur so mature", "looks"),
        ("i'll buy u a gift card", "gift"),
        ("we should meet", "meet"),
        ("what grade r u in", "age"),
    ],
)
def test_cue_patterns_find_their_cue(text: str, cue: str):
    assert cue in message_cues(text)


def test_everyday_remarks_show_no_cue():
    for text in ("pretty good thanks", "the game was fun", "i made soup last night"):
        assert message_cues(text) == set()


def test_cue_rates_are_shares_of_messages():
    assert cue_rates(["how old r u", "lol", "where do u live", "ok"])["age"] == 0.25
    assert cue_rates([]) == dict.fromkeys(CUES, 0.0)


def test_grooming_shows_every_cue_more_often_than_benign_chat(english: list[Conversation]):
    grooming = conversation_cue_rates(english, 1, "en")
    benign = conversation_cue_rates(english, 0, "en")
    for cue in CUES:
        assert grooming[cue] > benign[cue], (cue, grooming[cue], benign[cue])


def test_child_centred_cues_are_clearly_denser_in_grooming(english: list[Conversation]):
    """Asking the age, testing who is home, secrecy and meeting are what real offenders do more
    than anyone in real benign chat (REAL_RATES): at least 1.3 times the benign rate here."""
    grooming = conversation_cue_rates(english, 1, "en")
    benign = conversation_cue_rates(english, 0, "en")
    for cue in ("age", "alone", "secrecy", "meet"):
        assert grooming[cue] >= 1.3 * benign[cue], (cue, grooming[cue], benign[cue])
        real_benign = max(REAL_RATES["nps"][cue], REAL_RATES["chitchat"][cue])
        assert REAL_RATES["pj_offender"][cue] > real_benign, cue
