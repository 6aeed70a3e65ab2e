"""The benchmark harness judges targets, measures per-step memory, and run_all collects rows.

run_all is exercised on tiny throw-away scripts: one that adopted the harness, one that
only prints, one that fails and one that hangs, so the table cannot silently lose a step.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def harness(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("harness")


@pytest.fixture
def run_all(harness):
    return importlib.import_module("run_all")


def test_targets_are_checked_from_their_text(harness):
    assert harness.meets(2500, ">= 2000 conv/s") is True
    assert harness.meets(1999.9, ">= 2,000 conv/s") is False
    assert harness.meets(0.7, "< 0.5 s") is False
    assert harness.meets(0.4, "< 0.5 s") is True
    assert harness.meets(5, "as fast as possible") is None
    assert harness.Row("s", 90.0, "s", "< 120 s").met is True
    assert harness.Row("s", 90.0, "s", "< 120 s", met=False).met is False
    assert harness.Row("s", 90.0, "s").met is None


def test_measure_reports_the_peak_of_each_step_alone(harness):
    big = harness.measure(lambda: int(np.ones(300 * 2**20 // 8).sum()))
    small = harness.measure(lambda: 1 + 1)
    assert big.result == 300 * 2**20 // 8
    assert small.result == 2
    assert big.seconds > 0
    assert big.peak_rss_mb - small.peak_rss_mb > 250


def test_emit_prints_and_appends_json_lines(harness, tmp_path, monkeypatch, capsys):
    results = tmp_path / "rows.jsonl"
    monkeypatch.setenv(harness.RESULTS_ENV, str(results))
    harness.emit([harness.Row("first step", 2500.0, "conv/s", ">= 2000 conv/s")])
    harness.emit([harness.Row("second step", 3.0, "s", peak_rss_mb=12.5)])
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["step"] for r in rows] == ["first step", "second step"]
    assert rows[0]["met"] is True
    assert rows[1]["peak_rss_mb"] == 12.5
    out = capsys.readouterr().out
    assert "first step" in out
    assert "2,500 conv/s" in out


def _script(directory: Path, name: str, body: str) -> None:
    (directory / f"{name}.py").write_text(textwrap.dedent(body))


def test_run_all_collects_adopted_plain_failed_and_stopped_scripts(tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    _script(scripts, "adopted", """
        from harness import Row, emit, quick
        emit([Row("adopted step", 10.0 if quick() else 1.0, "conv/s", ">= 5 conv/s")])
    """)
    _script(scripts, "plain", """
        block = bytearray(150 * 2**20)
        print("plain output line")
    """)
    _script(scripts, "broken", "raise SystemExit(3)\n")
    _script(scripts, "hangs", "import time\ntime.sleep(60)\n")
    out = tmp_path / "results.json"
    # a child's peak RSS counts its parent's at fork, so run_all runs as `make bench` runs it:
    # as a small process of its own
    finished = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_all.py"), "--dir", str(scripts), "--out", str(out),
         "--timeout", "5"],
        capture_output=True, text=True, timeout=120,
    )
    assert finished.returncode == 1
    printed = finished.stdout
    assert "plain | plain output line" in printed
    document = json.loads(out.read_text())
    assert document["quick"] is True
    runs = {run["script"]: run for run in document["scripts"]}
    assert runs["broken"]["exit_code"] == 3
    assert runs["hangs"]["timed_out"] is True
    assert runs["hangs"]["seconds"] < 30
    assert runs["plain"]["peak_rss_mb"] > 150 > runs["broken"]["peak_rss_mb"]
    rows = {row["step"]: row for row in document["rows"]}
    assert rows["adopted step"]["figure"] == 10.0
    assert rows["adopted step"]["met"] is True
    assert rows["adopted step"]["peak_rss_mb"] == runs["adopted"]["peak_rss_mb"]
    assert rows["plain (wall time)"]["unit"] == "s"
    assert "broken: FAILED (exit 3)" in printed
    assert "hangs: stopped after" in printed


def test_scripts_run_in_pipeline_order(run_all, tmp_path):
    for name in ("zeta", "serving", "startup", "harness", "run_all", "_helper", "assess"):
        (tmp_path / f"{name}.py").write_text("")
    assert [p.stem for p in run_all.discover(tmp_path)] == ["startup", "assess", "serving", "zeta"]


def test_make_bench_runs_a_real_benchmark_end_to_end(tmp_path):
    """``make bench``'s runner on the project's own start-up benchmark (the cheapest one)."""
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_all.py"), "startup", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row["step"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["startup: import groomwatch"]["figure"] > 0
    assert rows["startup: groomwatch --help"]["target"] == "< 1 s"
