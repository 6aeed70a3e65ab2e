"""``groomwatch assess --reproduce DIR``: re-run a report from its recorded inputs and options.

First every recorded input is hashed again: a changed file means the report no longer describes
it, and nothing is re-run. Otherwise the assessment runs again into a scratch directory with the
same options (the same seed, so the same bootstrap draws) and every figure of the new report is
compared, exactly, with the one on disk.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from groomwatch.errors import GroomwatchError, InputError
from groomwatch.evaluation.assess import Progress, Request, no_progress, run
from groomwatch.evaluation.outputs import ITEMS_CSV, REPORT_JSON
from groomwatch.evaluation.provenance import environment, model_files, sha256_file, short
from groomwatch.evaluation.schema import validate_report

#: fields that say when and by what a report was computed, not what it found
NOT_FIGURES = ("generated_at", "groomwatch_version", "provenance")


@dataclass
class Reproduction:
    """What a re-run found: changed inputs, differing figures, and how many were equal."""

    changed_inputs: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    n_equal: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.changed_inputs and not self.differing


def load_report(directory: Path) -> dict:
    path = directory / REPORT_JSON
    if not path.is_file():
        inner = sorted(str(p.parent) for p in directory.glob(f"*/{REPORT_JSON}"))
        if inner:
            raise InputError(f"{directory}: no {REPORT_JSON} here; reproduce each report it holds: "
                             f"{', '.join(inner)}")
        raise InputError(f"{directory}: no {REPORT_JSON} (run `groomwatch assess --out` first)")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable report ({exc})") from None
    if not isinstance(report, dict):
        raise InputError(f"{path}: not a report (a JSON object is expected)")
    return report


def changed_inputs(block: dict) -> list[str]:
    """Inputs whose bytes differ from the recorded hash, and files added to the model.

    A missing file is an error (the run cannot be repeated), naming every missing file.
    """
    missing = [i for i in block["inputs"] if not Path(i["path"]).is_file()]
    if missing:
        names = ", ".join(f"{i['path']} ({i['role']})" for i in missing)
        raise InputError(f"recorded input file(s) missing: {names}; paths are relative to the "
                         "directory the assessment ran in")
    changed = []
    for recorded in block["inputs"]:
        now = sha256_file(Path(recorded["path"]))
        if now != recorded["sha256"]:
            changed.append(f"{recorded['role']} {recorded['path']}: SHA-256 was "
                           f"{short(recorded['sha256'])}…, now {short(now)}…")
    model = block["options"]["model"]
    if model:
        known = {i["path"] for i in block["inputs"]}
        changed += [f"model_file {p}: added since the report was computed"
                    for p in model_files(Path(model)) if str(p) not in known]
    return changed


def figures(node: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of a report by its dotted name (``rates.fpr.ci_high``, ``notes[0]``)."""
    if isinstance(node, dict):
        leaves: dict[str, Any] = {}
        for key, value in node.items():
            if not prefix and key in NOT_FIGURES:
                continue
            leaves |= figures(value, f"{prefix}.{key}" if prefix else key)
        return leaves
    if isinstance(node, list):
        leaves = {}
        for i, value in enumerate(node):
            leaves |= figures(value, f"{prefix}[{i}]")
        return leaves
    return {prefix: node}


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def differences(recorded: dict, rerun: dict) -> tuple[int, list[str]]:
    """How many figures are exactly equal, and one line per figure that is not."""
    old, new = figures(recorded), figures(rerun)
    equal, differing = 0, []
    for name, value in old.items():
        if name not in new:
            differing.append(f"{name}: report has {value!r}, the re-run has no such figure")
        elif _same(value, new[name]):
            equal += 1
        else:
            differing.append(f"{name}: report has {value!r}, the re-run gives {new[name]!r}")
    differing += [f"{name}: not in the report, the re-run gives {value!r}"
                  for name, value in new.items() if name not in old]
    return equal, differing


def environment_notes(block: dict) -> list[str]:
    """Code or library versions that differ from the recorded ones (a reason figures may)."""
    now = environment()
    notes = []
    for key in ("version", "git_commit"):
        before, after = block["groomwatch"][key], now["groomwatch"][key]
        if before and after and before != after:
            notes.append(f"groomwatch {key} was {before}, now {after}")
    for name, before in block["libraries"].items():
        after = now["libraries"].get(name)
        if before != after:
            notes.append(f"{name} was {before}, now {after}")
    return notes


def reproduce(directory: Path, progress: Progress = no_progress) -> Reproduction:
    """Check the inputs' hashes, re-run with the recorded options, compare every figure."""
    recorded = load_report(directory)
    block = recorded.get("provenance")
    if not block:
        raise InputError(
            f"{directory / REPORT_JSON}: no provenance (schema {recorded.get('schema_version')}),"
            " so it cannot be reproduced; run `groomwatch assess` again to record one"
        )
    try:
        validate_report(recorded, "provenance")
    except GroomwatchError as exc:
        raise InputError(f"{directory / REPORT_JSON}: {exc}") from None
    result = Reproduction(notes=environment_notes(block))
    result.changed_inputs = changed_inputs(block)
    if result.changed_inputs:
        return result
    with tempfile.TemporaryDirectory(prefix="groomwatch-reproduce-") as scratch:
        request = dataclasses.replace(Request.from_options(block["options"], Path(scratch)),
                                      track=False)
        rerun, paths = run(request, progress)["reports"][0]
        items_equal = _same_file(directory / ITEMS_CSV, paths[ITEMS_CSV])
    rerun = json.loads(json.dumps(rerun, allow_nan=False))
    result.n_equal, result.differing = differences(recorded, rerun)
    if not items_equal:
        result.differing.append(f"{ITEMS_CSV}: the per-item scores and decisions differ")
    return result


def _same_file(a: Path, b: Path) -> bool:
    return a.is_file() and a.read_bytes() == b.read_bytes()
