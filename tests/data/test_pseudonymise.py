"""Keyed pseudonyms of author IDs on import."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from groomwatch.data.pseudonymise import PSEUDONYM_HEX_CHARS, make_pseudonymiser
from groomwatch.errors import ConfigError

from .conftest import read_jsonl

CSV = "conversation_id,author_id,text\nk1,ann,hi\nk1,bob,hey\nk2,ann,again\n"


def test_pseudonym_is_truncated_hmac_sha256() -> None:
    pseudonym = make_pseudonymiser(b"secret")
    expected = hmac.new(b"secret", b"ann", hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]
    assert pseudonym("ann") == expected
    assert pseudonym("ann") != make_pseudonymiser(b"other")("ann")
    assert pseudonym("ann") != pseudonym("bob")
    with pytest.raises(ConfigError):
        make_pseudonymiser(b"")


def test_import_replaces_author_ids_consistently(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.setenv("GW_KEY", "k3y")
    source = tmp_path / "m.csv"
    source.write_text(CSV, encoding="utf-8")
    out = tmp_path / "o.jsonl"
    code, _, err = cli(
        "data", "import", "csv", "--in", source, "--out", out, "--pseudonymise-key-env", "GW_KEY"
    )
    assert code == 0, err
    k1, k2 = read_jsonl(out)
    ann = make_pseudonymiser(b"k3y")("ann")
    assert [p["author_id"] for p in k1["participants"]] == [ann, make_pseudonymiser(b"k3y")("bob")]
    assert k2["messages"][0]["author_id"] == ann
    assert "ann" not in out.read_text(encoding="utf-8")


def test_pj_file_names_are_pseudonymised_too(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.setenv("GW_KEY", "k3y")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "cooldude42.txt").write_text("cooldude42: hi\ndecoy: hey\n", "utf-8")
    out = tmp_path / "o.jsonl"
    code, _, err = cli(
        "data",
        "import",
        "pj",
        "--dir",
        tmp_path / "logs",
        "--out",
        out,
        "--pseudonymise-key-env",
        "GW_KEY",
    )
    assert code == 0, err
    (record,) = read_jsonl(out)
    assert "cooldude42" not in out.read_text(encoding="utf-8")
    assert record["participants"][0]["offender"] is True
