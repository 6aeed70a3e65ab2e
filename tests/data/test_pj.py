"""Perverted-Justice transcripts in both common shapes."""

from __future__ import annotations

from pathlib import Path

from groomwatch.data.importers.pj import TURN_ORDER_UNKNOWN, iter_pj

from .conftest import read_jsonl

TRANSCRIPT = """\
(10:32:15 PM) cooldude42: hey there
(10:32:40 PM) sk8rgrl_13: hi
(10:33:02 PM) cooldude42: how old r u
  and where do you live
sk8rgrl_13 (10:34 PM): 13, ohio
cooldude42: no stamp on this one
"""


def test_one_file_per_conversation(tmp_path: Path) -> None:
    (tmp_path / "cooldude42.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "cooldude42_2.txt").write_text("cooldude42: again\ndecoy: ok\n", encoding="utf-8")
    convs = list(iter_pj(tmp_path))
    assert [c.conversation_id for c in convs] == ["pj-cooldude42", "pj-cooldude42_2"]
    first = convs[0]
    assert first.label == 1 and first.source == "pj"
    assert [(p.author_id, p.role, p.offender) for p in first.participants] == [
        ("cooldude42", "adult", True),
        ("sk8rgrl_13", "child", False),
    ]
    assert first.texts == [
        "hey there",
        "hi",
        "how old r u\n  and where do you live",
        "13, ohio",
        "no stamp on this one",
    ]
    assert [m.extra.get("time") for m in first.messages] == [
        "10:32:15 PM", "10:32:40 PM", "10:33:02 PM", "10:34 PM", None,
    ]
    assert first.meta == {}
    # The same offender in two files keeps one author id (the split groups on it).
    assert convs[1].offender_ids == ["cooldude42"]


def test_offender_not_named_by_file_is_left_unknown(tmp_path: Path) -> None:
    (tmp_path / "chat-001.txt").write_text("alice: hi\nbob: hello\n", encoding="utf-8")
    (conv,) = iter_pj(tmp_path)
    assert [(p.role, p.offender) for p in conv.participants] == [("unknown", None)] * 2
    assert "unknown" in conv.meta["offender"]


def test_predators_and_officers_shape(tmp_path: Path) -> None:
    for side, text in (("predators", "hi\n\nhow old are you\n"), ("officers", "hey\n14\n")):
        (tmp_path / side).mkdir()
        (tmp_path / side / "bigbear.txt").write_text(text, encoding="utf-8")
    (tmp_path / "predators" / "loner.txt").write_text("anyone there\n", encoding="utf-8")
    bigbear, loner = iter_pj(tmp_path)
    assert bigbear.meta == {"turn_order": TURN_ORDER_UNKNOWN}
    assert [(p.author_id, p.role, p.offender) for p in bigbear.participants] == [
        ("bigbear", "adult", True),
        ("officer-bigbear", "child", False),
    ]
    assert [(m.author_id, m.text) for m in bigbear.messages] == [
        ("bigbear", "hi"), ("bigbear", "how old are you"),
        ("officer-bigbear", "hey"), ("officer-bigbear", "14"),
    ]
    assert loner.meta["missing"] == "no officers/loner.txt"
    assert len(loner.participants) == 1


def test_cli_pj(tmp_path: Path, cli) -> None:
    source = tmp_path / "logs"
    source.mkdir()
    (source / "cooldude42.txt").write_text(TRANSCRIPT, encoding="utf-8")
    out = tmp_path / "pj.jsonl"
    code, _, err = cli("data", "import", "pj", "--dir", source, "--out", out)
    assert code == 0, err
    (record,) = read_jsonl(out)
    assert record["label"] == 1 and len(record["messages"]) == 5


def test_line_that_is_no_message_is_rejected(tmp_path: Path, cli) -> None:
    (tmp_path / "x.txt").write_text("Transcript of a chat\nx: hi\n", encoding="utf-8")
    code, _, err = cli("data", "import", "pj", "--dir", tmp_path, "--out", tmp_path / "o.jsonl")
    assert code == 2
    assert "x.txt:1: expected a 'name: message' line" in err
    assert not (tmp_path / "o.jsonl").exists()
