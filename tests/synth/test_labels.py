"""Labels and fields are consistent with who says what in every generated conversation."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from groomwatch.data.record import STAGES, Conversation
from groomwatch.data.synth import SynthConfig, generate
from groomwatch.data.synth.config import SCENARIOS, STRATEGIES


def test_grooming_messages_belong_to_the_offender(corpus: list[Conversation]):
    for conv in corpus:
        offenders = set(conv.offender_ids)
        for message in conv.messages:
            if message.grooming == 1:
                assert message.author_id in offenders, conv.conversation_id


def test_grooming_conversations_have_an_offender_and_a_child(corpus: list[Conversation]):
    for conv in (c for c in corpus if c.label == 1):
        offender = [p for p in conv.participants if p.offender]
        children = [p for p in conv.participants if p.role == "child"]
        assert len(offender) == 1 and offender[0].role == "adult"
        assert len(children) == 1 and children[0].offender is False
        assert 10 <= children[0].extra["age"] <= 16
        assert any(m.grooming == 1 for m in conv.messages)
        assert all(m.stage in STAGES for m in conv.messages)


def test_benign_conversations_have_no_offender_and_no_grooming(corpus: list[Conversation]):
    for conv in (c for c in corpus if c.label == 0):
        assert conv.offender_ids == []
        assert all(m.grooming == 0 and m.stage is None for m in conv.messages)
        assert all(p.offender is False for p in conv.participants)


def test_every_message_carries_labels_and_a_valid_record_round_trip(corpus: list[Conversation]):
    for conv in corpus[:300]:
        assert all(m.grooming in (0, 1) for m in conv.messages)
        assert Conversation.from_dict(conv.to_dict()) == conv


def test_timestamps_never_go_backwards(corpus: list[Conversation]):
    for conv in corpus:
        times = [datetime.fromisoformat(m.timestamp) for m in conv.messages]
        assert times == sorted(times)


def test_prevalence_lengths_and_offender_reuse():
    config = SynthConfig(n=1000, prevalence=0.2, seed=3, min_messages=5, max_messages=120)
    convs = generate(config)
    assert sum(c.label for c in convs) == 200
    lengths = [len(c.messages) for c in convs]
    assert min(lengths) >= 5 and max(lengths) <= 120
    assert max(lengths) > 4 * sorted(lengths)[len(lengths) // 2]  # heavy tail
    per_offender = Counter(a for c in convs for a in c.offender_ids)
    assert max(per_offender.values()) > 1  # personas recur across children
    assert len({c.conversation_id for c in convs}) == len(convs)


def test_all_strategies_stages_and_scenarios_occur(corpus: list[Conversation]):
    assert {c.meta["strategy"] for c in corpus if c.label == 1} == set(STRATEGIES)
    assert {c.meta["scenario"] for c in corpus if c.label == 0} == set(SCENARIOS)
    assert {m.stage for c in corpus for m in c.messages if m.grooming == 1} == set(STAGES)
    assert {c.meta["escalation"] for c in corpus if c.label == 1} == {"fast", "slow"}


def test_benign_look_alikes_pair_adults_with_children(corpus: list[Conversation]):
    mixed = [
        c for c in corpus if c.label == 0 and {p.role for p in c.participants} == {"adult", "child"}
    ]
    assert len(mixed) > 0.2 * sum(c.label == 0 for c in corpus)


def test_short_chats_are_windows_not_mostly_greetings(corpus: list[Conversation]):
    """A six-message chat shows the scenario: at most one greeting and one goodbye around it."""
    short = [c for c in corpus if len(c.messages) <= 8 and c.label == 1]
    assert len(short) > 20
    moves = [sum(m.grooming == 1 for m in c.messages) for c in short]
    assert min(moves) >= 1 and sum(moves) / len(moves) >= 2
