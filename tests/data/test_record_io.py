"""The record format: validation errors name file, line and field; round trips are lossless."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groomwatch.data.hf import from_dataset, to_dataset
from groomwatch.data.io import load_conversations, read_conversations, write_conversations
from groomwatch.data.record import Conversation
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
