"""Windows of N messages: by conversation or by author, valid records, reproducible."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from groomwatch.data.io import read_conversations, write_conversations
from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.data.window import spans, windows
from groomwatch.errors import ConfigError

from .conftest import read_jsonl


def chat(n: int = 7) -> Conversation:
    """Offender ``o`` and decoy ``d`` alternate, ``o`` first; texts are ``m0``, ``m1``, …"""
    people = [Participant("o", "adult", True), Participant("d", "child", False)]
    messages = [Message("od"[i % 2], f"m{i}") for i in range(n)]
    return Conversation(
        "c", people, messages, label=1, language="en", source="pj", platform="chat",
        meta={"turn_order": "kept"},
    )


def test_spans_cover_everything_and_never_repeat_a_tail() -> None:
    assert spans(7, 3, 3) == [(0, 3), (3, 6), (6, 7)]
    assert spans(6, 3, 2) == [(0, 3), (2, 5), (4, 6)]
    assert spans(2, 5, 5) == [(0, 2)]
    assert spans(0, 5, 5) == []


def test_windows_by_conversation_carry_fields_and_keep_speakers_only() -> None:
    first, second, third = windows(chat(), 3)
    assert [w.conversation_id for w in (first, second, third)] == ["c-w1", "c-w2", "c-w3"]
    assert first.texts == ["m0", "m1", "m2"] and third.texts == ["m6"]
    assert (first.label, first.language, first.source, first.platform) == (1, "en", "pj", "chat")
    assert first.meta == {
        "turn_order": "kept", "window": {"of": "c", "by": "conversation", "start": 0, "end": 3},
    }
    # The last window holds only m6, by the offender: the decoy is no participant of it.
    assert [(p.author_id, p.role, p.offender) for p in third.participants] == [
        ("o", "adult", True),
    ]
    for window in (first, second, third):  # each is a valid record
        assert Conversation.from_dict(window.to_dict()) == window


def test_windows_by_author_hold_one_author_each() -> None:
    result = windows(chat(), 2, by="author")
    assert [w.conversation_id for w in result] == [f"c-w{k}" for k in range(1, 5)]
    assert [[p.author_id for p in w.participants] for w in result] == [["o"], ["o"], ["d"], ["d"]]
    assert [w.texts for w in result] == [["m0", "m2"], ["m4", "m6"], ["m1", "m3"], ["m5"]]
    assert result[2].meta["window"] == {"of": "c", "by": "author", "author": "d", "start": 0,
                                        "end": 2}
    assert result[0].offender_ids == ["o"]


def test_offenders_only_drops_the_decoys_windows() -> None:
    result = windows(chat(), 2, by="author", offenders_only=True)
    assert [w.texts for w in result] == [["m0", "m2"], ["m4", "m6"]]
    assert all(w.offender_ids == ["o"] for w in result)
    with pytest.raises(ConfigError, match="--offenders-only needs --by author"):
        windows(chat(), 2, offenders_only=True)


def test_stride_overlaps_windows() -> None:
    assert [w.texts for w in windows(chat(5), 3, stride=1)] == [
        ["m0", "m1", "m2"], ["m1", "m2", "m3"], ["m2", "m3", "m4"],
    ]


@pytest.mark.parametrize(
    ("size", "stride", "by", "message"),
    [(0, None, "conversation", "--size must be at least 1"),
     (3, 0, "conversation", "--stride must be at least 1"),
     (3, None, "speaker", "--by must be one of conversation, author")],
)
def test_bad_options(size: int, stride: int | None, by: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        windows(chat(), size, stride, by)


def test_cli_window_is_reproducible(tmp_path: Path, cli) -> None:
    source = tmp_path / "in.jsonl"
    write_conversations(source, [chat(), replace(chat(3), conversation_id="d")])
    outputs = []
    for name in ("a.jsonl", "b.jsonl"):
        code, out, err = cli("data", "window", "--in", source, "--out", tmp_path / name,
                             "--size", 2, "--by", "author")
        assert code == 0, err
        assert "wrote 6 windows" in out
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    records = read_jsonl(tmp_path / "a.jsonl")
    assert [r["conversation_id"] for r in records][-2:] == ["d-w1", "d-w2"]
    assert len(list(read_conversations(tmp_path / "a.jsonl"))) == 6
