"""Dataset statistics for a file and for a split directory."""

from __future__ import annotations

from pathlib import Path

from groomwatch.data.io import write_conversations
from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.data.stats import compute_stats, labels_by_source, percentiles


def conv(conv_id: str, label: int | None, texts: list[str], language: str = "en") -> Conversation:
    author = Participant("a")
    return Conversation(
        conv_id,
        [author],
        [Message("a", t) for t in texts],
        label=label,
        language=language,
        source="test",
    )


CONVS = [
    conv("c1", 1, ["hi", "hello"]),
    conv("c2", 0, ["abcd"], language="de"),
    conv("c3", 0, ["", "xyz", "12345678"]),
    conv("c4", None, []),
]


def test_counts_and_percentiles() -> None:
    stats = compute_stats(CONVS)
    assert (stats.conversations, stats.messages) == (4, 6)
    assert stats.labels == {1: 1, 0: 2, None: 1}
    assert stats.languages == {"en": 3, "de": 1}
    assert stats.platforms == {None: 4}
    assert list(stats.message_chars) == [2, 5, 4, 0, 3, 8]
    assert percentiles(stats.message_chars)[50] == 3.5
    assert percentiles(stats.conversation_messages)[50] == 1.5


def test_cli_prints_file_and_split_directory(tmp_path: Path, cli) -> None:
    write_conversations(tmp_path / "train.jsonl", CONVS[:3])
    write_conversations(tmp_path / "test.jsonl", CONVS[3:])
    code, out, err = cli("data", "stats", tmp_path)
    assert code == 0, err
    assert "train" in out and "test" in out and "validation" not in out
    assert "1: 1 (33.3%)" in out and "de: 1 (33.3%)" in out
    code, out, _ = cli("data", "stats", tmp_path / "train.jsonl")
    assert code == 0 and "p50=3.5" in out
    code, _, err = cli("data", "stats", tmp_path / "missing")
    assert code == 2 and "no such file or directory" in err


def test_counts_and_labels_per_source(tmp_path: Path, cli) -> None:
    mixed = [*CONVS, conv("p1", 1, ["x"]), conv("p2", 1, ["y"])]
    for record in mixed[-2:]:
        record.source = "pj"
    write_conversations(tmp_path / "mix.jsonl", mixed)
    assert labels_by_source(compute_stats(mixed)) == (
        "test: 4 (label 0: 2, label 1: 1, label null: 1); pj: 2 (label 1: 2)"
    )
    code, out, err = cli("data", "stats", tmp_path / "mix.jsonl")
    assert code == 0, err
    assert "labels by source" in out and "pj: 2 (label 1: 2)" in " ".join(out.split())
