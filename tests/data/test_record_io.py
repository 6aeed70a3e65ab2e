"""The record format: validation errors name file, line and field; round trips are lossless."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groomwatch.data.hf import from_dataset, to_dataset
from groomwatch.data.io import load_conversations, read_conversations, write_conversations
from groomwatch.data.record import Conversation, RecordError
from groomwatch.errors import InputError


def record(conv_id: str = "c-1", **changes: object) -> dict:
    base = {
        "conversation_id": conv_id,
        "label": 1,
        "language": "en",
        "source": "synthetic",
        "platform": "game-chat",
        "meta": {"seed": 7},
        "participants": [
            {"author_id": "a1", "role": "adult", "offender": True, "age_band": "30s"},
            {"author_id": "a2", "role": "child", "offender": False},
        ],
        "messages": [
            {
                "author_id": "a1",
                "text": "hey, how old r u?",
                "timestamp": "2024-03-01T18:02:11Z",
                "grooming": 1,
                "stage": "risk_assessment",
                "move": "ask_age",
            },
            {"author_id": "a2", "text": "", "timestamp": None, "grooming": 0, "stage": None},
        ],
        "split_hint": ["x", 1],
    }
    return {**base, **changes}


def write_lines(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (
            {"messages": [{"author_id": "zz", "text": "x"}]},
            "messages[0].author_id is not a participant",
        ),
        ({"label": 2}, "label must be 0, 1 or null"),
        (
            {"participants": [{"author_id": "a1", "role": "teen"}]},
            "participants[0].role must be one of",
        ),
        ({"conversation_id": ""}, "conversation_id must not be empty"),
        ({"messages": [{"author_id": "a1"}]}, "messages[0].text is missing"),
        (
            {"messages": [{"author_id": "a1", "text": "x", "timestamp": "soon"}]},
            "messages[0].timestamp is not an ISO 8601 timestamp",
        ),
        ({"meta": []}, "meta must be an object"),
    ],
)
def test_validation_names_file_line_and_field(tmp_path: Path, broken: dict, expected: str) -> None:
    path = write_lines(
        tmp_path / "data.jsonl", [record(f"c-{i}") for i in range(16)] + [record("bad", **broken)]
    )
    with pytest.raises(InputError) as info:
        load_conversations(path)
    assert str(info.value).startswith(f"{path}:17: {expected}")


def test_cli_reports_invalid_record_without_traceback(tmp_path: Path, cli) -> None:
    bad = record(messages=[record()["messages"][0], {"author_id": "a9", "text": "x"}])
    path = write_lines(tmp_path / "data.jsonl", [record("ok"), bad])
    code, _, err = cli("data", "stats", path)
    assert code == 2
    assert f"{path}:2: messages[1].author_id is not a participant" in err


def test_jsonl_parquet_and_dataset_round_trips_keep_extra_keys(tmp_path: Path) -> None:
    records = [record("c-1"), record("c-2", label=None, platform=None, meta={})]
    original = [Conversation.from_dict(r) for r in records]
    jsonl = tmp_path / "a.jsonl"
    parquet = tmp_path / "b.parquet"
    assert write_conversations(jsonl, original) == 2
    from_jsonl = list(read_conversations(jsonl))
    write_conversations(parquet, from_jsonl)
    from_parquet = list(read_conversations(parquet))
    from_hf = from_dataset(to_dataset(from_parquet))
    for copy in (from_jsonl, from_parquet, from_hf):
        assert [c.to_dict() for c in copy] == [c.to_dict() for c in original]
    assert from_hf[0].messages[0].extra == {"move": "ask_age"}
    assert from_hf[0].participants[0].extra == {"age_band": "30s"}
    assert from_hf[0].extra == {"split_hint": ["x", 1]}
    assert to_dataset(original).features["messages"].feature["grooming"].dtype == "int8"


def test_parquet_written_in_batches_keeps_order(tmp_path: Path) -> None:
    from groomwatch.data.hf import write_parquet

    original = [Conversation.from_dict(record(f"c-{i}")) for i in range(5)]
    assert write_parquet(tmp_path / "x.parquet", original, batch_size=2) == 5
    ids = [c.conversation_id for c in read_conversations(tmp_path / "x.parquet")]
    assert ids == [f"c-{i}" for i in range(5)]


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        ({"messages": [{"author_id": "a1", "text": "bad \ud800 surrogate"}]}, "messages[0].text"),
        ({"participants": [{"author_id": "a\udfff"}], "messages": []}, "participants[0].author_id"),
        ({"conversation_id": "c\ud83d"}, "conversation_id"),
        ({"messages": [{"author_id": "a1", "text": "x", "stage": "\udc00"}]}, "messages[0].stage"),
    ],
)
def test_lone_surrogates_are_refused_naming_the_field(broken: dict, field: str) -> None:
    with pytest.raises(RecordError) as info:
        Conversation.from_dict(record(**broken))
    assert info.value.path == field
    assert "invalid code point" in info.value.problem and "surrogate" in info.value.problem


def test_a_json_surrogate_escape_is_refused_at_its_line(tmp_path: Path) -> None:
    bad = record("bad", messages=[{"author_id": "a1", "text": "bad \ud800 surrogate"}])
    path = write_lines(tmp_path / "data.jsonl", [record("ok"), bad])  # json.dumps writes \\ud800
    assert "\\ud800" in path.read_text()
    with pytest.raises(InputError) as info:
        load_conversations(path)
    assert str(info.value).startswith(
        f"{path}:2: messages[0].text contains an invalid code point U+D800"
    )


def test_surrogate_pairs_are_one_character_and_round_trip(tmp_path: Path) -> None:
    emoji = record(messages=[{"author_id": "a1", "text": "ok 😩"}])
    path = write_lines(tmp_path / "a.jsonl", [emoji])
    assert "\\ud83d\\ude29" in path.read_text()  # json.dumps escapes it as a surrogate pair
    [conv] = read_conversations(path)
    assert conv.messages[0].text == "ok 😩"
    write_conversations(tmp_path / "b.jsonl", [conv])
    assert [c.to_dict() for c in read_conversations(tmp_path / "b.jsonl")] == [conv.to_dict()]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"{not json}\n", ":2: not valid JSON (Expecting property name enclosed in double quotes)"),
        (b'{"conversation_id": "h\xe9"}\n', ":2: not valid UTF-8 (invalid continuation byte)"),
        (b"[1, 2]\n", ":2: record must be an object, not list"),
        (b'{"conversation_id": NaN}\n', ":2: participants is missing"),
    ],
)
def test_lines_the_fast_decoder_refuses_get_the_standard_messages(
    tmp_path: Path, line: bytes, expected: str
) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes((json.dumps(record("ok")) + "\n").encode() + line)
    with pytest.raises(InputError) as info:
        load_conversations(path)
    assert str(info.value) == f"{path}{expected}"


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(f"\n{json.dumps(record('a'))}\n   \n\n{json.dumps(record('b'))}\n")
    assert [c.conversation_id for c in read_conversations(path)] == ["a", "b"]


def test_valid_records_keep_every_field_through_the_fast_path() -> None:
    data = record()
    data["messages"][0]["grooming"] = 1.0  # a JSON number that is the integer 1
    conv = Conversation.from_dict(data)
    assert conv.messages[0].grooming == 1 and type(conv.messages[0].grooming) is int
    with pytest.raises(RecordError, match="grooming must be 0, 1 or null, not True"):
        Conversation.from_dict(record(messages=[{"author_id": "a1", "text": "", "grooming": True}]))
