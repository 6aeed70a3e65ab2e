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


def test_cli_split_mixes_inputs_and_keeps_offenders_together(tmp_path: Path, cli) -> None:
    from groomwatch.data.io import write_conversations

    convs = corpus(600, prevalence=0.3, seed=4)
    # The same offenders appear in both inputs under different conversation IDs.
    echoes = [conversation(f"echo-{c.conversation_id}", 1, c.offender_ids[0])
              for c in convs if c.offender_ids]
    write_conversations(tmp_path / "a.jsonl", convs)
    write_conversations(tmp_path / "b.jsonl", echoes)
    code, _, err = cli("data", "split", "--in", tmp_path / "a.jsonl", "--in",
                       tmp_path / "b.jsonl", "--out", tmp_path / "mix", "--seed", "2")
    assert code == 0, err
    owner: dict[str, str] = {}
    total = 0
    for name in ("train", "validation", "test"):
        for conv in load_split(tmp_path / "mix", name):
            total += 1
            for offender in conv.offender_ids:
                assert owner.setdefault(offender, name) == name, f"{offender} leaks"
    assert total == len(convs) + len(echoes)


def test_cap_draws_at_most_n_per_input_with_the_seed(tmp_path: Path, cli) -> None:
    from groomwatch.data.io import write_conversations

    write_conversations(tmp_path / "big.jsonl", corpus(500, seed=5))
    write_conversations(tmp_path / "small.jsonl", [
        conversation(f"s{i}", i % 2, f"solo{i}" if i % 2 else None) for i in range(40)
    ])
    kept = []
    for run in ("one", "two"):
        code, _, err = cli("data", "split", "--in", tmp_path / "big.jsonl", "--in",
                           tmp_path / "small.jsonl", "--out", tmp_path / run, "--cap", "100")
        assert code == 0, err
        ids = sorted(c.conversation_id for name in ("train", "validation", "test")
                     for c in load_split(tmp_path / run, name))
        kept.append(ids)
        assert len(ids) == 140
        assert sum(i.startswith("s") for i in ids) == 40  # under the cap: all of it
    assert kept[0] == kept[1]


def test_duplicate_ids_across_inputs_name_both_files(tmp_path: Path, cli) -> None:
    from groomwatch.data.io import write_conversations

    convs = corpus(60)
    write_conversations(tmp_path / "a.jsonl", convs[:40])
    write_conversations(tmp_path / "b.jsonl", convs[30:])
    code, _, err = cli("data", "split", "--in", tmp_path / "a.jsonl", "--in",
                       tmp_path / "b.jsonl", "--out", tmp_path / "mix")
    assert code == 2
    assert f"{convs[30].conversation_id!r} appears in both {tmp_path / 'a.jsonl'} and " \
        f"{tmp_path / 'b.jsonl'}" in err
    assert not (tmp_path / "mix").exists()


def test_windows_of_one_conversation_stay_in_one_split() -> None:
    from groomwatch.data.window import windows

    long_chats = [conversation(f"n{i}", 0, None) for i in range(60)]
    for chat in long_chats:
        chat.messages = chat.messages * 4
    cut = [w for chat in long_chats for w in windows(chat, 2, by="author")]
    splits = split_conversations(cut, seed=1)
    home: dict[str, str] = {}
    for name, members in splits.items():
        for window in members:
            assert home.setdefault(window.meta["window"]["of"], name) == name
    assert len(home) == 60 and len(set(home.values())) == 3
