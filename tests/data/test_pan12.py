"""PAN12 XML import on a small hand-written corpus in the real format."""

from __future__ import annotations

from pathlib import Path

import pytest

from groomwatch.data.importers.pan12 import iter_pan12, read_predators, read_predatory_lines
from groomwatch.data.pseudonymise import make_pseudonymiser

from .conftest import read_jsonl

XML = """<?xml version="1.0" encoding="UTF-8"?>
<conversations>
  <conversation id="c1">
    <message line="1"><author>pred1</author><time>03:20</time><text>hi there</text></message>
    <message line="2"><author>decoy1</author><time>03:21</time>
      <text>i &amp;amp;lt;3 cats</text></message>
    <message line="3"><author>pred1</author><time>03:22</time><text></text></message>
    <message line="4"><author>decoy1</author><time>03:22</time></message>
  </conversation>
  <conversation id="c2">
    <message line="1"><author>u1</author><time>10:00</time>
      <text>Tom &amp;amp; Jerry &amp;quot;ok&amp;quot;</text></message>
    <message line="2"><author>u2</author><text>fine</text></message>
  </conversation>
  <conversation id="c3">
    <message line="1"><author>decoy2</author><time>22:05</time><text>hey</text></message>
    <message line="2"><author>pred1</author><time>22:06</time><text>a &lt; b</text></message>
  </conversation>
</conversations>
"""


@pytest.fixture
def corpus(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "xml": tmp_path / "corpus.xml",
        "predators": tmp_path / "predators.txt",
        "lines": tmp_path / "lines.txt",
    }
    paths["xml"].write_text(XML, encoding="utf-8")
    paths["predators"].write_text("pred1\n\n", encoding="utf-8")
    paths["lines"].write_text("c1\t1\nc1\t3\nc3\t2\n", encoding="utf-8")
    return paths


def test_import_labels_roles_and_text(corpus: dict[str, Path]) -> None:
    imported = iter_pan12(corpus["xml"], read_predators(corpus["predators"]))
    convs = {c.conversation_id: c for c in imported}
    assert list(convs) == ["c1", "c2", "c3"]
    assert [convs[c].label for c in convs] == [1, 0, 1]
    c1 = convs["c1"]
    assert [(p.author_id, p.role, p.offender) for p in c1.participants] == [
        ("pred1", "adult", True),
        ("decoy1", "child", False),
    ]
    assert [(p.role, p.offender) for p in convs["c2"].participants] == [
        ("unknown", False),
        ("unknown", False),
    ]
    # Twice-escaped HTML is unescaped until stable; empty and missing text become "".
    assert c1.texts == ["hi there", "i <3 cats", "", ""]
    assert convs["c2"].texts[0] == 'Tom & Jerry "ok"'
    assert convs["c3"].texts[1] == "a < b"
    # HH:MM without a date is kept as an extra key, never a timestamp.
    assert c1.messages[0].timestamp is None
    assert c1.messages[0].extra == {"time": "03:20"}
    assert convs["c2"].messages[1].extra == {}
    assert all(m.grooming is None for c in convs.values() for m in c.messages)
    assert {c.source for c in convs.values()} == {"pan12"}


def test_predator_in_several_conversations_keeps_one_author_id(corpus: dict[str, Path]) -> None:
    convs = list(iter_pan12(corpus["xml"], read_predators(corpus["predators"])))
    with_pred1 = [c.conversation_id for c in convs if "pred1" in c.offender_ids]
    assert with_pred1 == ["c1", "c3"]


def test_line_ground_truth_labels_messages(corpus: dict[str, Path]) -> None:
    convs = iter_pan12(
        corpus["xml"], read_predators(corpus["predators"]), read_predatory_lines(corpus["lines"])
    )
    grooming = {c.conversation_id: [m.grooming for m in c.messages] for c in convs}
    assert grooming == {"c1": [1, 0, 1, 0], "c2": [0, 0], "c3": [0, 1]}


def test_cli_writes_valid_records(corpus: dict[str, Path], tmp_path: Path, cli) -> None:
    out = tmp_path / "out" / "pan12.jsonl"
    code, _, err = cli(
        "data", "import", "pan12", "--xml", corpus["xml"], "--predators", corpus["predators"],
        "--lines", corpus["lines"], "--out", out,
    )
    assert code == 0, err
    records = read_jsonl(out)
    assert [r["conversation_id"] for r in records] == ["c1", "c2", "c3"]
    assert records[0]["messages"][1] == {
        "author_id": "decoy1", "text": "i <3 cats", "timestamp": None, "grooming": 0,
        "stage": None, "time": "03:21",
    }
    assert "3 conversations, 8 messages" in err


def test_malformed_line_ground_truth_is_rejected(
    corpus: dict[str, Path], tmp_path: Path, cli
) -> None:
    corpus["lines"].write_text("c1\t1\nc1 three\n", encoding="utf-8")
    out = tmp_path / "pan12.jsonl"
    code, _, err = cli(
        "data", "import", "pan12", "--xml", corpus["xml"], "--predators", corpus["predators"],
        "--lines", corpus["lines"], "--out", out,
    )
    assert code == 2
    assert f"{corpus['lines']}:2:" in err
    assert not out.exists()


def test_pseudonymised_import_still_finds_predators(corpus: dict[str, Path]) -> None:
    """The predator list names raw IDs, so offenders are found before IDs are replaced."""
    pseudonym = make_pseudonymiser(b"key")
    convs = list(
        iter_pan12(corpus["xml"], read_predators(corpus["predators"]), author_map=pseudonym)
    )
    assert [c.label for c in convs] == [1, 0, 1]
    assert convs[0].offender_ids == convs[2].offender_ids == [pseudonym("pred1")]
    assert {m.author_id for m in convs[0].messages} == {pseudonym("pred1"), pseudonym("decoy1")}
