"""The command line as a whole: help on every level, version, clean errors."""

from __future__ import annotations

import pytest
import typer.main

from groomwatch import __version__
from groomwatch.cli import app, main


def _command_paths(command: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        paths.extend(_command_paths(sub, (*prefix, name)))
    return paths


COMMANDS = _command_paths(typer.main.get_command(app))


def test_the_pipeline_commands_exist() -> None:
    top = {path[0] for path in COMMANDS if path}
    assert {"data", "synth", "train", "score", "assess", "compare", "serve"} <= top


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "groomwatch")
def test_every_command_explains_itself(
    path: tuple[str, ...], capsys: pytest.CaptureFixture
) -> None:
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage:" in out
    # Every command has a description, not just a usage line.
    assert len(out.strip().splitlines()) > 3


def test_version(capsys: pytest.CaptureFixture) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_user_errors_are_one_line_and_exit_2(tmp_path, capsys: pytest.CaptureFixture) -> None:
    missing = tmp_path / "missing.jsonl"
    assert main(["data", "stats", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(missing) in err
    assert "Traceback" not in err
