"""CSV import: one row per message, users' own data."""

from __future__ import annotations

from pathlib import Path

from groomwatch.data.importers.csv_messages import iter_csv

from .conftest import read_jsonl

CSV = """conversation_id,author_id,text,timestamp,label,channel
k1,ann,"hi, you there?",2024-03-01T18:02:11Z,1,dm
k2,bob,hello,,0,
k1,max,yes,2024-03-01T18:03:00Z,1,dm
k1,ann,,,1,dm
"""


def test_rows_grouped_into_conversations(tmp_path: Path) -> None:
    path = tmp_path / "msgs.csv"
    path.write_text(CSV, encoding="utf-8")
    k1, k2 = iter_csv(path)
    assert (k1.conversation_id, k1.label, k1.source) == ("k1", 1, "csv")
    assert [p.author_id for p in k1.participants] == ["ann", "max"]
    assert k1.texts == ["hi, you there?", "yes", ""]
    assert k1.messages[0].timestamp == "2024-03-01T18:02:11Z"
    assert k1.messages[2].timestamp is None
    # Unknown columns are kept as message keys; empty cells become null.
    assert k1.messages[0].extra == {"channel": "dm"}
    assert k2.messages[0].extra == {"channel": None}
    assert (k2.label, k2.texts) == (0, ["hello"])


def test_minimal_columns_and_unknown_label(tmp_path: Path, cli) -> None:
    path = tmp_path / "msgs.csv"
    path.write_text("conversation_id,author_id,text\nz,a,hey\nz,b,yo\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, err = cli("data", "import", "csv", "--in", path, "--out", out)
    assert code == 0, err
    (record,) = read_jsonl(out)
    assert record["label"] is None and [m["text"] for m in record["messages"]] == ["hey", "yo"]


def test_bad_cells_name_line_and_column(tmp_path: Path, cli) -> None:
    cases = {
        "conversation_id,author_id,text,timestamp\nz,a,hey,yesterday\n": ":2: column timestamp",
        "conversation_id,author_id,text,label\nz,a,hey,2\n": ":2: column label must be 0, 1",
        "conversation_id,author_id,text,label\nz,a,hey,1\nz,b,yo,0\n": ":3: label 0 disagrees",
        "conversation_id,author_id,text\nz,,hey\n": ":2: column author_id must not be empty",
        "conversation_id,author_id,text\nz,a\n": ":2: the row does not have one field",
    }
    for number, (text, expected) in enumerate(cases.items()):
        path = tmp_path / f"bad{number}.csv"
        path.write_text(text, encoding="utf-8")
        out = tmp_path / f"out{number}.jsonl"
        code, _, err = cli("data", "import", "csv", "--in", path, "--out", out)
        assert code == 2
        assert expected in err, err
        assert not out.exists()
