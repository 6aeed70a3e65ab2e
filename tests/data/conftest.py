"""Shared helpers for the data-stage tests: run the CLI, read what it wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groomwatch.cli import main


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run ``groomwatch`` with arguments; returns (exit code, stdout, stderr)."""

    def run(*args: object) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
