"""Every language has a complete native grammar and shows up in generated data."""

from __future__ import annotations

import random
import re
from collections import Counter

from groomwatch.data.record import Conversation
from groomwatch.data.synth.grammar import LANGUAGES, MOVES, load_grammar

#: frequent words that mark a language's text
_MARKERS = {
    "en": {"you", "the", "i'm"},
    "de": {"ich", "du", "nicht"},
    "fr": {"tu", "je", "pas"},
    "es": {"que", "tu", "no"},
    "nl": {"je", "ik", "het"},
    "pl": {"nie", "mam", "jest"},
}


def test_every_grammar_defines_every_move():
    for language in LANGUAGES:
        grammar = load_grammar(language)
        assert set(MOVES) <= set(grammar.rule_names()), language


def test_grammars_are_large_and_varied():
    rng = random.Random(1)
    for language in LANGUAGES:
        grammar = load_grammar(language)
        wordings = {
            grammar.expand(m, rng, {"SELF": "15", "OTHER": "30"}) for m in MOVES for _ in range(40)
        }
        vocabulary = {w for text in wordings for w in re.findall(r"\w+", text)}
        assert len(wordings) > 800, language
        assert len(vocabulary) > 650, language


def test_all_languages_generated_with_both_labels(corpus: list[Conversation]):
    counts = Counter((c.language, c.label) for c in corpus)
    for language in LANGUAGES:
        assert counts[(language, 0)] > 50 and counts[(language, 1)] > 50, language


def test_text_is_written_in_the_conversation_language(corpus: list[Conversation]):
    for language, markers in _MARKERS.items():
        mine = [c for c in corpus if c.language == language]
        hits = sum(
            bool(markers & set(re.findall(r"[\w']+", " ".join(c.texts).lower()))) for c in mine
        )
        assert hits > 0.6 * len(mine), language
