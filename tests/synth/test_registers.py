"""Generator 3.1: offender windows read like real ones, and each kind of chat keeps its register.

A real offender's one-author window of ten lines holds about one grooming cue, and a third of
its lines are two words or fewer ("ok", "lol", "cool"); everyday chat between adults starts
with a capital and ends with "!" far more often than instant messages; each writer laughs
their own way. These tests pin those behaviours, measured on generated English data.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest

from groomwatch.data.record import Conversation
from groomwatch.data.synth import SynthConfig, generate
from groomwatch.data.synth.cues import REAL_RATES, message_cues
from groomwatch.data.synth.grammar import load_grammar
from groomwatch.data.synth.surface import REGISTERS
from groomwatch.data.window import windows


@pytest.fixture(scope="module")
def english() -> list[Conversation]:
    return generate(SynthConfig(n=2000, prevalence=0.3, languages=["en"], seed=5))


def _offender_windows(convs: list[Conversation]) -> list[Conversation]:
    return [
        w
        for c in convs
        if c.label == 1
        for w in windows(c, 10, by="author", offenders_only=True)
        if len(w.messages) == 10
    ]


def test_offender_windows_are_not_a_pile_of_cues(english: list[Conversation]):
    """Cues per ten offender lines: above real chit-chat's rate, yet not every line a cue."""
    found = _offender_windows(english)
    assert len(found) > 100
    cues = [sum(len(message_cues(m.text)) for m in w.messages) for w in found]
    mean = sum(cues) / len(cues)
    chitchat_per_window = 10 * sum(REAL_RATES["chitchat"].values())
    assert chitchat_per_window < mean < 4.0, mean
    assert sum(c == 0 for c in cues) > 0, "some offender windows hold no cue, as real ones do"


def test_offenders_answer_in_short_lines(english: list[Conversation]):
    lines = [m.text for w in _offender_windows(english) for m in w.messages]
    short = sum(len(text.split()) <= 2 for text in lines) / len(lines)
    assert 0.2 < short < 0.5, short


def _share(texts: list[str], test) -> float:
    return sum(map(test, texts)) / len(texts)


def test_everyday_chat_is_typed_tidier_than_instant_messages(english: list[Conversation]):
    by_scenario: dict[str, list[str]] = defaultdict(list)
    for conv in english:
        by_scenario[conv.meta["scenario"]] += [m.text for m in conv.messages if m.text]
    everyday, grooming = by_scenario["chitchat"], by_scenario["grooming"]
    capital = lambda t: t[:1].isupper()  # noqa: E731
    bang = lambda t: "!" in t  # noqa: E731
    assert _share(everyday, capital) > 1.5 * _share(grooming, capital)
    assert _share(everyday, bang) > 2 * _share(grooming, bang)
    assert REGISTERS["formal"].abbreviations < REGISTERS["im"].abbreviations


def test_each_writer_mostly_laughs_one_way(english: list[Conversation]):
    pattern = load_grammar("en").laugh_pattern
    laughs: dict[str, Counter] = defaultdict(Counter)
    for conv in english:
        for message in conv.messages:
            laughs[message.author_id].update(pattern.findall(message.text.lower()))
    habitual = [c.most_common(1)[0][1] / c.total() for c in laughs.values() if c.total() >= 4]
    assert len(habitual) > 50
    assert sum(habitual) / len(habitual) > 0.75


def test_a_laugh_habit_follows_the_register():
    grammar = load_grammar("en")
    rng = random.Random(0)
    formal = Counter(grammar.laugh(rng, "formal") for _ in range(400))
    chat = Counter(grammar.laugh(rng, "im") for _ in range(400))
    assert formal.most_common(1)[0][0] == "haha" and chat.most_common(1)[0][0] == "lol"
    # a language whose grammar states no preference draws any of its own laughs
    polish = load_grammar("pl")
    assert {polish.laugh(rng, "formal") for _ in range(200)} <= set(polish.laugh_words)


def test_laugh_pattern_matches_whole_words_only():
    pattern = load_grammar("en").laugh_pattern
    assert pattern.findall("lol ok haha") == ["lol", "haha"]
    assert pattern.findall("lollipop, ahem") == []
