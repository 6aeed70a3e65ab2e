"""The grouped, stratified split: no offender in two splits, label ratios kept."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from groomwatch.data.io import load_split
from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.data.split import assign_splits, offender_groups, split_conversations
from groomwatch.errors import ConfigError, InputError


def conversation(conv_id: str, label: int | None, offender: str | None) -> Conversation:
    first = Participant(offender or f"{conv_id}-a", "adult", offender is not None)
    other = Participant(f"{conv_id}-b", "child" if label else "adult", False)
    return Conversation(
        conv_id,
        [first, other],
        [Message(first.author_id, "hi"), Message(other.author_id, "yo")],
        label=label,
    )


def corpus(n: int = 2000, prevalence: float = 0.1, seed: int = 1) -> list[Conversation]:
    """Positives by offenders with 1-8 conversations each; negatives without offenders."""
    rng = random.Random(seed)
    convs: list[Conversation] = []
    offender = 0
    while len(convs) < n * prevalence:
        offender += 1
        for _ in range(rng.randint(1, 8)):
            convs.append(conversation(f"p{len(convs)}", 1, f"off{offender}"))
    convs += [conversation(f"n{i}", 0, None) for i in range(n - len(convs))]
    rng.shuffle(convs)
    return convs


def positive_rate(convs: list[Conversation]) -> float:
    return sum(c.label == 1 for c in convs) / len(convs)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_offender_in_two_splits_and_label_ratios_kept(seed: int) -> None:
    convs = corpus(seed=seed)
    splits = split_conversations(convs, (0.7, 0.15, 0.15), seed=seed)
    assert sorted(c.conversation_id for s in splits.values() for c in s) == sorted(
        c.conversation_id for c in convs
    )
    owner: dict[str, str] = {}
    for name, members in splits.items():
        for conv in members:
            for offender in conv.offender_ids:
                assert owner.setdefault(offender, name) == name, f"{offender} leaks"
    whole = positive_rate(convs)
    for name, share in zip(("train", "validation", "test"), (0.7, 0.15, 0.15), strict=True):
        assert abs(positive_rate(splits[name]) - whole) <= 0.02, name
        assert abs(len(splits[name]) / len(convs) - share) <= 0.02, name


def test_seed_changes_assignment_and_is_reproducible() -> None:
    convs = corpus()
    first = split_conversations(convs, seed=0)
    again = split_conversations(convs, seed=0)
    other = split_conversations(convs, seed=5)
    ids = {n: [c.conversation_id for c in s] for n, s in first.items()}
    assert ids == {n: [c.conversation_id for c in s] for n, s in again.items()}
    assert ids != {n: [c.conversation_id for c in s] for n, s in other.items()}


def test_offender_groups_link_shared_offenders() -> None:
    a = conversation("a", 1, "x")
    b = conversation("b", 1, "y")
    both = conversation("ab", 1, "x")
    both.participants[1] = Participant("y", "adult", True)
    both.messages[1] = Message("y", "yo")
    lone = conversation("n", 0, None)
    keys = offender_groups([a, b, both, lone])
    assert keys[0] == keys[1] == keys[2] != keys[3]


def test_bad_ratios_and_too_few_groups() -> None:
    with pytest.raises(ConfigError, match="sum to 1"):
        assign_splits(["g1", "g2", "g3"], [0, 1, 0], (0.5, 0.5, 0.5))
    with pytest.raises(InputError, match="too few"):
        assign_splits(["g1", "g1", "g2"], [1, 1, 0])


def test_cli_split_writes_three_files(tmp_path: Path, cli) -> None:
    from groomwatch.data.io import write_conversations

    source = tmp_path / "all.jsonl"
    write_conversations(source, corpus(400))
    code, out, err = cli(
        "data",
        "split",
        "--in",
        source,
        "--out",
        tmp_path / "splits",
        "--ratios",
        "0.6,0.2,0.2",
        "--seed",
        "3",
    )
    assert code == 0, err
    sizes = {
        name: len(load_split(tmp_path / "splits", name)) for name in ("train", "validation", "test")
    }
    assert sum(sizes.values()) == 400
    assert abs(sizes["train"] / 400 - 0.6) <= 0.03
    assert f"train: {sizes['train']:,} conversations" in out
    code, _, err = cli(
        "data", "split", "--in", source, "--out", tmp_path / "x", "--ratios", "0.7,0.3"
    )
    assert code == 2 and "three positive numbers" in err


def test_cli_split_rejects_duplicate_ids(tmp_path: Path, cli) -> None:
    from groomwatch.data.io import write_conversations

    source = tmp_path / "all.jsonl"
    convs = corpus(50)
    write_conversations(source, [*convs, convs[0]])
    code, _, err = cli("data", "split", "--in", source, "--out", tmp_path / "splits")
    assert code == 2 and f"{convs[0].conversation_id!r} appears twice" in err
    assert not (tmp_path / "splits").exists()
