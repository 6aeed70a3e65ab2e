"""Cue priors: grooming shows every grooming cue more often than benign chat, as real logs do."""

from __future__ import annotations

import re

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


def _share_with_word(texts: list[str], word: str) -> float:
    pattern = re.compile(rf"\b{word}\b")
    return sum(bool(pattern.search(text.lower())) for text in texts) / len(texts)


def test_offenders_type_everyday_words_as_often_as_benign_writers(english: list[Conversation]):
    """Generator 3.2: real offender lines hold "it", "what", "and" and "but" as often as real
    benign chat does. Offender wording that lacked them (3.1: about 0.6 times the benign rate)
    taught a detector to read these everyday words as signs of benign chat, and so to miss real
    offenders who type them. "want" is the exception real logs show: offenders use it about
    twice as often as chit-chat and six times as often as chat rooms."""
    offender = [
        m.text
        for c in english
        if c.label == 1
        for m in c.messages
        if any(p.offender and p.author_id == m.author_id for p in c.participants)
    ]
    benign = [m.text for c in english if c.label == 0 for m in c.messages]
    for word in ("it", "what", "and", "but"):
        ratio = _share_with_word(offender, word) / _share_with_word(benign, word)
        assert ratio >= 0.8, (word, ratio)
    assert _share_with_word(offender, "want") >= 2 * _share_with_word(benign, "want")


#: one hand-written line per cue in each of the five other languages, in the cue order
_LINES = {
    "de": ("wie alt bist du", "auf welche schule gehst du", "sind deine eltern zuhause",
           "wo wohnst du", "das bleibt unter uns ok", "was ist deine nummer",
           "schick mir ein bild", "du bist so hübsch", "ich könnte dir was kaufen",
           "wir sollten uns mal treffen"),
    "es": ("cuántos años tienes", "a qué insti vas", "están tus padres en casa", "dónde vives",
           "esto queda entre nosotros", "cuál es tu número", "mándame una foto",
           "eres muy guapa", "quieres que te compre algo", "deberíamos quedar"),
    "fr": ("t'as quel âge", "tu vas dans quel collège", "tes parents sont là", "t'habites où",
           "ça reste entre nous", "c'est quoi ton numéro", "envoie-moi une photo",
           "t'es trop belle", "je pourrais t'acheter un truc", "on devrait se voir en vrai"),
    "nl": ("hoe oud ben je", "op welke school zit je", "zijn je ouders thuis", "waar woon je",
           "dit blijft tussen ons", "wat is je nummer", "stuur me een foto", "je bent zo mooi",
           "zal ik het voor je kopen", "we moeten eens afspreken"),
    "pl": ("ile masz lat", "do jakiej szkoły chodzisz", "są twoi rodzice w domu",
           "gdzie mieszkasz", "to zostaje między nami", "jaki masz numer",
           "wyślij mi swoje zdjęcie", "jesteś taka ładna", "mógłbym ci kupić coś",
           "powinniśmy się spotkać"),
}


@pytest.mark.parametrize(
    ("language", "cue", "text"),
    [
        (lang, cue, text)
        for lang, lines in _LINES.items()
        for cue, text in zip(CUES, lines, strict=True)
    ],
)
def test_each_language_has_its_own_cue_patterns(language: str, cue: str, text: str):
    assert cue in message_cues(text, language)


@pytest.fixture(scope="module")
def six_languages() -> list[Conversation]:
    # a thousand conversations per language: the rarest cue (gifts) shows in about one
    # message in 500, so fewer leave its per-language rates to chance
    return generate(SynthConfig(n=6000, prevalence=0.3, seed=21))


@pytest.mark.parametrize("language", ["en", "de", "es", "fr", "nl", "pl"])
def test_lookalikes_never_carry_more_of_a_cue_than_grooming(
    six_languages: list[Conversation], language: str
):
    """Issue 13: each cue comes up more often in grooming than in benign chat in every
    language, as real offender logs show against real benign chat. Before 3.3 look-alikes
    showed photo cues as often as grooming in de, nl and pl, private-channel cues in nl (the
    Dutch "snap", "understand", was read as Snapchat) and gifts in fr."""
    grooming = conversation_cue_rates(six_languages, 1, language)
    benign = conversation_cue_rates(six_languages, 0, language)
    for cue in CUES:
        assert grooming[cue] > benign[cue], (language, cue, grooming[cue], benign[cue])


@pytest.mark.parametrize(
    ("language", "text", "cue"),
    [
        ("nl", "ik snap niks van huiswerk", "private"),  # "I don't understand", not Snapchat
        ("fr", "faut que j'y aille ma mère m'appelle", "private"),  # called away
        ("fr", "mon beau-père est là", "looks"),  # a stepfather, no compliment
        ("fr", "t'es trop drôle en vrai", "meet"),  # "honestly", no meeting
        ("fr", "chez moi", "meet"),  # where one is, no meeting
    ],
)
def test_everyday_words_that_look_like_cues_are_not_counted(language: str, text: str, cue: str):
    assert cue not in message_cues(text, language)
