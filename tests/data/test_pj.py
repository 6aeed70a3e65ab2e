"""Perverted-Justice transcripts in both common shapes, and the published layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from groomwatch.data.importers.pj import TURN_ORDER_UNKNOWN, iter_pj, pair_files

from .conftest import read_jsonl

#: Hand-written files named like the published corpus (Koutli 2023): prefixes, a name with a
#: space, ``_k`` decoy suffixes, and offenders ``ace`` and ``ace_1`` whose names differ by one.
PUBLISHED = Path(__file__).parent / "fixtures" / "pj_published"

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
    with pytest.warns(UserWarning, match="'loner.txt'"):
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
    assert loner.meta["missing"] == "no officer file"
    assert len(loner.participants) == 1


def test_published_layout_gives_one_record_per_offender() -> None:
    warnings: list[str] = []
    convs = {c.conversation_id: c for c in iter_pj(PUBLISHED, warn=warnings.append)}
    assert warnings == []  # every file of the fixture has its partner
    assert sorted(convs) == [
        "pj-Billy Joe", "pj-Jimster7", "pj-ace", "pj-ace_1", "pj-sam_2004",
    ]
    for conv in convs.values():
        assert conv.label == 1 and conv.meta["turn_order"] == TURN_ORDER_UNKNOWN
        (offender,) = [p for p in conv.participants if p.offender]
        assert (offender.role, f"pj-{offender.author_id}") == ("adult", conv.conversation_id)
        assert all(p.role == "child" for p in conv.participants if not p.offender)
    sam = convs["pj-sam_2004"]
    assert [p.author_id for p in sam.participants] == [
        "sam_2004", "officer-sam_2004_1", "officer-sam_2004_2",
    ]
    assert [m.author_id for m in sam.messages] == ["sam_2004"] * 2 + [
        "officer-sam_2004_1"] * 2 + ["officer-sam_2004_2"] * 2
    # An exact name wins over stripping a _k suffix: ace_1's decoy is not ace's second decoy.
    assert [p.author_id for p in convs["pj-ace"].participants] == ["ace", "officer-ace"]
    assert [p.author_id for p in convs["pj-ace_1"].participants] == ["ace_1", "officer-ace_1"]
    assert convs["pj-Billy Joe"].texts[:1] == ["hey whats up"]


def _copy_published(tmp_path: Path) -> Path:
    target = tmp_path / "pj"
    for path in PUBLISHED.rglob("*.txt"):
        (target / path.parent.name).mkdir(parents=True, exist_ok=True)
        (target / path.parent.name / path.name).write_bytes(path.read_bytes())
    return target


def test_officer_without_offender_is_skipped_and_named(tmp_path: Path) -> None:
    folder = _copy_published(tmp_path)
    (folder / "officers" / "officer_ghost_3.txt").write_text("hi\n", encoding="utf-8")
    (folder / "officers" / "officer_Billy Joe.txt").unlink()
    messages: list[str] = []
    convs = list(iter_pj(folder, warn=messages.append))
    assert len(convs) == 5 and all(c.offender_ids for c in convs)
    assert len(messages) == 2
    assert "1 officer file(s) match no predator file: 'officer_ghost_3.txt' (skipped)" in (
        messages[0]
    )
    assert "1 predator file(s) have no officer file: 'predator_Billy Joe.txt' (kept" in (
        messages[1]
    )


def test_strict_turns_an_unpaired_file_into_an_error(tmp_path: Path, cli) -> None:
    folder = _copy_published(tmp_path)
    (folder / "officers" / "officer_ghost.txt").write_text("hi\n", encoding="utf-8")
    out = tmp_path / "pj.jsonl"
    code, _, err = cli("data", "import", "pj", "--dir", folder, "--out", out, "--strict")
    assert code == 2 and "'officer_ghost.txt'" in err and "--strict" in err
    assert not out.exists()
    code, _, err = cli("data", "import", "pj", "--dir", folder, "--out", out)
    assert code == 0
    assert err.startswith("warning: ") and "'officer_ghost.txt'" in err
    assert len(read_jsonl(out)) == 5


def test_pairing_lists_decoys_in_suffix_order(tmp_path: Path) -> None:
    folder = tmp_path / "pj"
    (folder / "predators").mkdir(parents=True)
    (folder / "officers").mkdir()
    (folder / "predators" / "predator_x.txt").write_text("a\n", encoding="utf-8")
    for k in (10, 2, 1):
        (folder / "officers" / f"officer_x_{k}.txt").write_text("b\n", encoding="utf-8")
    pairs = pair_files(folder)
    assert [p.name for p in pairs.decoys["x"]] == [
        "officer_x_1.txt", "officer_x_2.txt", "officer_x_10.txt",
    ]


def test_empty_folders_are_an_error(tmp_path: Path, cli) -> None:
    for side in ("predators", "officers"):
        (tmp_path / "pj" / side).mkdir(parents=True)
    out = tmp_path / "pj.jsonl"
    code, _, err = cli("data", "import", "pj", "--dir", tmp_path / "pj", "--out", out)
    assert code == 2 and "hold no transcript files" in err
    assert not out.exists()


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


def test_a_long_list_of_unpaired_files_is_counted_not_dumped(tmp_path: Path) -> None:
    folder = _copy_published(tmp_path)
    for i in range(13):
        (folder / "officers" / f"officer_nobody{i:02d}.txt").write_text("hi\n", encoding="utf-8")
    messages: list[str] = []
    assert len(list(iter_pj(folder, warn=messages.append))) == 5
    (message,) = messages
    assert "13 officer file(s)" in message and "'officer_nobody09.txt' and 3 more" in message
    assert "officer_nobody10" not in message
