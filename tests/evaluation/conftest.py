"""Hand-made labelled conversations and predictions files for the assessment tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest


def conversation(
    cid: str, label: int | None, *, language: str = "en", platform: str = "chat",
    n_messages: int = 3, offender: bool | None = None, meta: dict | None = None,
) -> dict:
    """A two-person conversation record; ``offender`` marks author ``a-<cid>``."""
    adult, child = f"a-{cid}", f"c-{cid}"
    return {
        "conversation_id": cid,
        "label": label,
        "language": language,
        "platform": platform,
        "meta": meta or {},
        "participants": [
            {"author_id": adult, "role": "adult",
             "offender": bool(label) if offender is None else offender},
            {"author_id": child, "role": "child", "offender": False},
        ],
        "messages": [
            {"author_id": adult if i % 2 == 0 else child, "text": f"message {i}",
             "timestamp": f"2026-01-0{1 + i % 9}T10:00:00"}
            for i in range(n_messages)
        ],
    }


def write_jsonl(path: Path, records: Sequence[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def write_csv(path: Path, header: str, rows: Sequence[Sequence[object]]) -> Path:
    lines = [header, *(",".join("" if v is None else str(v) for v in row) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def labelled(tmp_path: Path) -> Callable[..., Path]:
    """Write ``(id, label, language)`` triples as a JSONL file and return its path."""

    def make(rows: Sequence[tuple[str, int, str]], name: str = "test.jsonl") -> Path:
        return write_jsonl(tmp_path / name, [conversation(c, y, language=lang)
                                             for c, y, lang in rows])

    return make


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a predictions CSV: ``csv_file(header, rows, name="p.csv")``."""

    def make(header: str, rows: Sequence[Sequence[object]], name: str = "p.csv") -> Path:
        return write_csv(tmp_path / name, header, rows)

    return make


@pytest.fixture
def records(tmp_path: Path) -> Callable[..., Path]:
    """Write conversation records built with ``conversation(...)`` keyword sets."""

    def make(specs: Sequence[dict], name: str = "test.jsonl") -> Path:
        return write_jsonl(tmp_path / name, [conversation(**spec) for spec in specs])

    return make
