"""NPS Chat rooms: one record per session, age bands per participant, the post's own text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from groomwatch.data.importers.nps import iter_nps
from groomwatch.errors import InputError

from .conftest import read_jsonl

#: Hand-written files in the corpus's layout and naming (``DATE-BAND_Nposts.xml``).
FIXTURES = Path(__file__).parent / "fixtures" / "nps"


def test_one_record_per_session_with_bands_and_roles() -> None:
    teens, twenties = iter_nps(FIXTURES)
    assert (teens.conversation_id, twenties.conversation_id) == (
        "nps-10-26-teens_5posts", "nps-11-08-20s_3posts",
    )
    for conv in (teens, twenties):
        assert (conv.label, conv.source, conv.platform) == (0, "nps", "chatroom")
        assert all(p.offender is False for p in conv.participants)
    assert [(p.author_id, p.role, p.extra) for p in teens.participants] == [
        ("10-26-teensUser3", "unknown", {"age_band": "teens"}),
        ("10-26-teensUser9", "unknown", {"age_band": "teens"}),
    ]
    assert {p.role for p in twenties.participants} == {"adult"}
    assert twenties.participants[0].extra == {"age_band": "20s"}


def test_text_is_the_posts_own_text_and_room_events_are_left_out() -> None:
    teens, twenties = iter_nps(FIXTURES)
    # Entities decoded, terminals (the token list) not appended, JOIN/PART not messages.
    assert teens.texts == [
        "hey 10-26-teensUser9 & all", "who likes math homework", ".ACTION yawns",
        "10-26-teensUser3",
    ]
    assert [m.extra["act"] for m in teens.messages] == [
        "Greet", "whQuestion", "System", "Greet",
    ]
    assert teens.meta == {"room": "teens", "room_events_left_out": 1}
    assert twenties.texts == ["anyone watch the game", "yes lol"]
    assert twenties.meta["room_events_left_out"] == 1


def test_plain_removes_the_corpus_markup() -> None:
    teens, _ = iter_nps(FIXTURES, plain=True)
    assert teens.texts == ["hey & all", "who likes math homework", "yawns"]
    assert teens.meta["posts_left_empty"] == 1


def test_cli_nps(tmp_path: Path, cli) -> None:
    out = tmp_path / "nps.jsonl"
    code, _, err = cli("data", "import", "nps", "--dir", FIXTURES, "--out", out)
    assert code == 0, err
    assert [r["conversation_id"] for r in read_jsonl(out)] == [
        "nps-10-26-teens_5posts", "nps-11-08-20s_3posts",
    ]


def test_a_file_name_without_age_band_is_rejected(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "11-08-20s_3posts.xml", tmp_path / "session.xml")
    with pytest.raises(InputError, match=r"session\.xml: the file name names no age band"):
        list(iter_nps(tmp_path))
