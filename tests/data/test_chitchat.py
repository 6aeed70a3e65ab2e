"""The BYU Chit-Chat corpus: a hand-written file in the package's format, and the real package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groomwatch.data.importers.chitchat import iter_chitchat, packaged_corpus
from groomwatch.errors import InputError

from .conftest import read_jsonl

CORPUS = {
    "conv-a": {
        "messages": [
            [{"text": "Hello", "timestamp": "2018-05-02T19:38:15Z", "sender": "s1"},
             {"text": "How are you?", "timestamp": "2018-05-02T19:38:20Z", "sender": "s1"}],
            [{"text": "good", "timestamp": "2018-05-02T19:38:29Z", "sender": "s2"}],
        ],
        "prompt": "What did you do today?",
        "ratings": {"witty": 3},
        "start": "2018-05-02T19:38:01Z",
    },
    "conv-b": {
        "messages": [[{"text": "", "timestamp": "2018-05-03T10:00:00Z", "sender": "s3"}]],
        "start": "2018-05-03T10:00:00Z",
        "ratings": None,
    },
}


def test_fixture_conversations(tmp_path: Path) -> None:
    path = tmp_path / "dataset.json"
    path.write_text(json.dumps(CORPUS), encoding="utf-8")
    a, b = iter_chitchat(path)
    assert (a.conversation_id, a.label, a.source, a.language) == ("conv-a", 0, "chitchat", "en")
    assert [(p.author_id, p.role, p.offender) for p in a.participants] == [
        ("s1", "adult", False),
        ("s2", "adult", False),
    ]
    # Turns are flattened into one message per utterance, in order, with their timestamps.
    assert a.texts == ["Hello", "How are you?", "good"]
    assert a.messages[2].timestamp == "2018-05-02T19:38:29Z"
    assert a.meta == {
        "prompt": "What did you do today?",
        "ratings": {"witty": 3},
        "start": "2018-05-02T19:38:01Z",
    }
    assert b.meta == {"start": "2018-05-03T10:00:00Z"} and b.texts == [""]


def test_missing_sender_names_the_conversation(tmp_path: Path) -> None:
    broken = {"conv-x": {"messages": [[{"text": "hi", "timestamp": "2018-05-03T10:00:00Z"}]]}}
    path = tmp_path / "dataset.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(InputError, match=r"conversation conv-x: malformed .*sender"):
        list(iter_chitchat(path))


def test_packaged_corpus_through_cli(tmp_path: Path, cli) -> None:
    assert packaged_corpus().is_file()
    out = tmp_path / "chitchat.jsonl"
    code, _, err = cli("data", "import", "chitchat", "--limit", 5, "--out", out)
    assert code == 0, err
    records = read_jsonl(out)
    assert len(records) == 5
    assert {r["label"] for r in records} == {0}
    assert all(p["role"] == "adult" for r in records for p in r["participants"])
    assert all(len(r["messages"]) > 0 for r in records)
