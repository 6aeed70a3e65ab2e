"""What a report was computed from: input hashes, options, code and library versions.

An assessing centre signs its name under a report, so the report names the exact bytes behind
every number (SHA-256 of each input file) and enough about the run to repeat it; ``groomwatch
assess --reproduce`` reads this block back and re-runs it (see ``reproduce.py``).
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from groomwatch.training.card import CARD_JSON, CARD_MD, code_version

#: libraries whose versions can change a figure (metrics, intervals, tables, group metrics)
LIBRARIES = ("numpy", "scipy", "scikit-learn", "pandas", "fairlearn")
#: the dataset card written beside the data (by `groomwatch synth`, or by hand)
DATA_CARD = "README.md"
SHORT_HASH = 12


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def file_record(role: str, path: Path, count: int | None = None, unit: str | None = None) -> dict:
    """One input file: its role, the path as given, SHA-256, size and row/conversation count."""
    return {"role": role, "path": str(path), "sha256": sha256_file(path),
            "bytes": path.stat().st_size, "count": count, "unit": unit}


def model_files(model: Path) -> list[Path]:
    """Every file of a saved detector, in a stable order (cards included)."""
    return sorted(p for p in model.rglob("*") if p.is_file())


def model_records(model: Path) -> list[dict]:
    return [file_record("model_card" if p.name in (CARD_MD, CARD_JSON) else "model_file", p)
            for p in model_files(model)]


def input_records(data: Path, n_conversations: int, model: Path | None = None) -> list[dict]:
    """Records for the labelled data, its card (README.md beside it) and the model's files."""
    records = [file_record("data", data, n_conversations, "conversations")]
    card = data.parent / DATA_CARD
    if card.is_file():
        records.append(file_record("data_card", card))
    if model is not None:
        records += model_records(model)
    return records


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment() -> dict[str, Any]:
    """The code that computed a report: groomwatch (and its git commit) and library versions."""
    code = code_version()
    return {
        "groomwatch": {"version": code["groomwatch"], "git_commit": code.get("git_commit"),
                       "git_dirty": code.get("git_dirty")},
        "libraries": library_versions(),
        "python": platform.python_version(),
    }


def provenance(command: str, options: dict[str, Any], inputs: Sequence[dict]) -> dict[str, Any]:
    """The report's ``provenance`` block (see report.schema.json)."""
    return {"time": datetime.now(UTC).isoformat(timespec="seconds"), "command": command,
            "options": options, "inputs": list(inputs), **environment()}


def data_hashes(block: dict | None) -> set[str]:
    """SHA-256 of the labelled data a report was computed on (empty without provenance)."""
    return {i["sha256"] for i in (block or {}).get("inputs", []) if i["role"] == "data"}


def short(digest: str) -> str:
    return digest[:SHORT_HASH]
