"""Non-explicit content: no generated message and no grammar phrase holds an explicit term."""

from __future__ import annotations

import random

import pytest

from groomwatch.data.record import Conversation
from groomwatch.data.synth import SynthConfig, generate, iter_conversations
from groomwatch.data.synth.grammar import LANGUAGES, MOVES, REDACTION_TOKEN, load_grammar
from groomwatch.data.synth.safety import noise_created_blocked_word

from .explicit_terms import WORDS, find_explicit


def _hits(conversations) -> list[tuple[str, str, list[str]]]:
    return [
        (conv.conversation_id, conv.language, terms)
        for conv in conversations
        for message in conv.messages
        if (terms := find_explicit(message.text, conv.language))
    ]


def test_lexicon_covers_every_generated_language():
    assert set(WORDS) == set(LANGUAGES)
    assert all(len(words) >= 25 for words in WORDS.values())


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "send me a nude pic"),
        ("de", "bist du NACKT"),
        ("fr", "t'es excitée"),
        ("es", "mándame fotos desnuda"),
        ("nl", "stuur een naaktfoto"),
        ("pl", "jesteś naga?"),
    ],
)
def test_scanner_catches_explicit_terms(language, text):
    assert find_explicit(text, language)


def test_scanner_ignores_redaction_tokens():
    assert not find_explicit("tell me [SEXUAL_CONTENT] [PHOTO_REQUEST_EXPLICIT]", "en")


def test_generated_messages_hold_no_explicit_terms(corpus: list[Conversation]):
    assert _hits(corpus) == []


def test_grammar_expansions_hold_no_explicit_terms():
    """Many expansions of every move, before surface noise, in every language."""
    rng = random.Random(5)
    context = {"SELF": "14", "OTHER": "35"}
    for language in LANGUAGES:
        grammar = load_grammar(language)
        for move in MOVES:
            for _ in range(200):
                text = grammar.expand(move, rng, context)
                assert not find_explicit(text, language), (language, move, text)


def test_no_redaction_tokens_by_default(corpus: list[Conversation]):
    """Real chat holds no placeholders, so by default the training data holds none either."""
    texts = [m.text for c in corpus for m in c.messages]
    assert not [t for t in texts if REDACTION_TOKEN.search(t)]
    rng = random.Random(6)
    for language in LANGUAGES:
        grammar = load_grammar(language)
        for move in ("g_sexual", "g_photo", "intimate", "send_photo"):
            for _ in range(50):
                assert not REDACTION_TOKEN.search(grammar.expand(move, rng, {"SELF": "30"}))


def test_redaction_tokens_are_an_option():
    convs = generate(SynthConfig(n=300, prevalence=0.3, seed=5, redaction_tokens=True))
    assert any(REDACTION_TOKEN.search(m.text) for c in convs for m in c.messages)


@pytest.mark.slow
def test_large_run_holds_no_explicit_terms():
    config = SynthConfig(n=30000, prevalence=0.5, seed=2024)
    assert _hits(iter_conversations(config)) == []


def test_noise_guard_blocks_every_lexicon_word():
    """The generator's digest block list stays in step with this lexicon."""
    for words in WORDS.values():
        for word in words:
            if word.isalpha():  # noise cannot create spaces or hyphens
                assert noise_created_blocked_word("clean text", f"clean {word}"), word


def test_noise_guard_ignores_words_already_in_the_clean_text():
    assert not noise_created_blocked_word("hier is het", "hir is het")
    assert noise_created_blocked_word("hier is het", "hoer is het")
