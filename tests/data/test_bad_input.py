"""Bad input to every importer: a clear one-line error, exit code 2, and no output file."""

from __future__ import annotations

from pathlib import Path

import pytest

PAN12_OK = (
    '<conversations><conversation id="c1"><message line="1"><author>a</author>'
    "<text>hi</text></message></conversation></conversations>"
)
BAD = {
    "malformed-xml": (
        "pan12", b"<conversations><conversation id='c1'><message>", ":1: not well-formed"
    ),
    "xml-missing-author": (
        "pan12",
        b'<conversations><conversation id="c1"><message line="7"><text>hi</text></message>'
        b"</conversation></conversations>",
        "conversation c1, message line 7: <author> is missing",
    ),
    "xml-missing-id": (
        "pan12", b"<conversations><conversation></conversation></conversations>",
        "conversation number 1 has no id attribute",
    ),
    "xml-not-utf8": (
        "pan12", PAN12_OK.replace("hi", "h\xe9").encode("latin-1"), ":1: not well-formed"
    ),
    "xml-empty": ("pan12", b"", "the file is empty"),
    "csv-missing-column": (
        "csv", b"conversation_id,text\nc,hi\n", ":1: missing column(s): author_id"
    ),
    "csv-not-utf8": (
        "csv", b"conversation_id,author_id,text\nc,a,ok\nc,b,h\xe9\n", ":3: not valid UTF-8"
    ),
    "csv-empty": ("csv", b"", "the file is empty"),
    "csv-header-only": ("csv", b"conversation_id,author_id,text\n", "holds a header but no rows"),
    "pj-not-utf8": ("pj", b"bob: hi\nbob: h\xe9\n", ":2: not valid UTF-8"),
    "pj-empty": ("pj", b"", "the file is empty"),
}


def _command(kind: str, tmp_path: Path, content: bytes) -> list[object]:
    if kind == "pj":
        (tmp_path / "logs").mkdir()
        (tmp_path / "logs" / "bob.txt").write_bytes(content)
        return ["pj", "--dir", tmp_path / "logs"]
    source = tmp_path / ("corpus.xml" if kind == "pan12" else "messages.csv")
    source.write_bytes(content)
    if kind == "csv":
        return ["csv", "--in", source]
    predators = tmp_path / "predators.txt"
    predators.write_text("a\n", encoding="utf-8")
    return ["pan12", "--xml", source, "--predators", predators]


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_fails_cleanly(case: str, tmp_path: Path, cli) -> None:
    kind, content, expected = BAD[case]
    out = tmp_path / "out" / "records.jsonl"
    code, _, err = cli("data", "import", *_command(kind, tmp_path, content), "--out", out)
    assert code == 2
    assert err.startswith("error: ") and expected in err, err
    assert "Traceback" not in err
    assert not out.exists()
    # No temporary file is left behind either.
    assert not out.parent.exists() or not list(out.parent.iterdir())


def test_good_xml_control_case_succeeds(tmp_path: Path, cli) -> None:
    """The PAN12 fixture the bad cases are made from imports fine, so the failures are real."""
    out = tmp_path / "records.jsonl"
    command = _command("pan12", tmp_path, PAN12_OK.encode())
    code, _, err = cli("data", "import", *command, "--out", out)
    assert code == 0, err
    assert out.is_file()


def test_missing_predator_list_and_key_variable(tmp_path: Path, cli, monkeypatch) -> None:
    xml = tmp_path / "corpus.xml"
    xml.write_text(PAN12_OK, encoding="utf-8")
    code, _, err = cli(
        "data", "import", "pan12", "--xml", xml, "--predators", tmp_path / "none.txt",
        "--out", tmp_path / "o.jsonl",
    )
    assert code == 2 and "none.txt: no such file" in err
    monkeypatch.delenv("GW_TEST_KEY", raising=False)
    code, _, err = cli(
        "data", "import", "csv", "--in", xml, "--out", tmp_path / "o.jsonl",
        "--pseudonymise-key-env", "GW_TEST_KEY",
    )
    assert code == 2 and "GW_TEST_KEY" in err
    assert not (tmp_path / "o.jsonl").exists()


def _empty_folder(tmp_path: Path) -> list[object]:
    (tmp_path / "in").mkdir()
    return ["import", "nps", "--dir", tmp_path / "in"]


def _empty_pj_folders(tmp_path: Path) -> list[object]:
    for side in ("predators", "officers"):
        (tmp_path / "in" / side).mkdir(parents=True)
    return ["import", "pj", "--dir", tmp_path / "in"]


def _malformed_nps(tmp_path: Path) -> list[object]:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "10-19-20s_1posts.xml").write_text(
        '<Session><Posts><Post class="Greet" user="u1">hi</Posts></Session>', encoding="utf-8"
    )
    return ["import", "nps", "--dir", tmp_path / "in"]


def _unpaired_pj(tmp_path: Path) -> list[object]:
    for side in ("predators", "officers"):
        (tmp_path / "in" / side).mkdir(parents=True)
    (tmp_path / "in" / "predators" / "predator_bob.txt").write_text("hi\n", encoding="utf-8")
    (tmp_path / "in" / "officers" / "officer_bob.txt").write_text("hey\n", encoding="utf-8")
    (tmp_path / "in" / "officers" / "officer_al_2.txt").write_text("yo\n", encoding="utf-8")
    return ["import", "pj", "--dir", tmp_path / "in", "--strict"]


def _window_size_zero(tmp_path: Path) -> list[object]:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"conversation_id":"c","participants":[{"author_id":"a"}],'
        '"messages":[{"author_id":"a","text":"hi"}]}\n',
        encoding="utf-8",
    )
    return ["window", "--in", source, "--size", "0"]


NEW_COMMANDS = {
    "empty-folder": (_empty_folder, "holds no .xml files"),
    "empty-pj-folders": (_empty_pj_folders, "predators/ and officers/ hold no transcript files"),
    "malformed-xml": (_malformed_nps, "10-19-20s_1posts.xml:1: not well-formed XML"),
    "unpaired-pj-file": (_unpaired_pj, "match no predator file: 'officer_al_2.txt' (--strict)"),
    "window-size-0": (_window_size_zero, "--size must be at least 1 message, not 0"),
}


@pytest.mark.parametrize("case", sorted(NEW_COMMANDS))
def test_corpus_commands_fail_cleanly(case: str, tmp_path: Path, cli) -> None:
    make, expected = NEW_COMMANDS[case]
    out = tmp_path / "out" / "records.jsonl"
    code, _, err = cli("data", *make(tmp_path), "--out", out)
    assert code == 2
    assert err.startswith("error: ") and expected in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
