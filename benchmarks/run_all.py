"""Run every benchmark script in its own process and print one table (``make bench``).

Each ``benchmarks/*.py`` script (except this one and ``harness.py``) runs as a child process
with ``GROOMWATCH_BENCH_QUICK=1`` (sizes that keep the suite under ten minutes; ``--full``
turns it off) and ``GROOMWATCH_BENCH_RESULTS`` naming a file for its rows. Running each
script alone makes its peak RSS its own: ``os.wait4`` reports the child's high-water mark.
A script that has not adopted the harness still runs; its output is shown and it gets one
row with its wall time and peak memory. All rows go to ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from harness import QUICK_ENV, RESULTS_ENV, Row, render, wait_with_peak_rss

HERE = Path(__file__).resolve().parent
NOT_BENCHMARKS = {"harness.py", "run_all.py"}
KILL_GRACE_SECONDS = 10
#: pipeline order for the table; scripts not named here run afterwards, alphabetically
ORDER = ("startup", "import_pan12", "synth", "chitchat_transfer", "real_transfer", "detectors",
         "records", "ray_scoring", "assess", "serving")
#: scripts that need more than ``--timeout`` (seconds): real_transfer trains six models and, on
#: a cold cache, builds the real windows and the synthetic set first
LONGER = {"real_transfer": 1200.0}


@dataclass
class ScriptRun:
    """One child process: how it ended, how long it took, its peak RSS and its rows."""

    script: str
    exit_code: int
    seconds: float
    peak_rss_mb: float
    timed_out: bool = False
    rows: list[Row] = field(default_factory=list)


def discover(directory: Path) -> list[Path]:
    """The benchmark scripts of ``directory`` in pipeline order."""
    scripts = [p for p in directory.glob("*.py")
               if p.name not in NOT_BENCHMARKS and not p.name.startswith("_")]
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(scripts, key=lambda p: (rank.get(p.stem, len(ORDER)), p.stem))


def run_script(script: Path, *, quick: bool, timeout: float) -> ScriptRun:
    """Run one script, echoing its output live, and collect its rows and resource use."""
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp:
        results = Path(tmp) / "rows.jsonl"
        # scripts outside this directory (--dir) can still `import harness`
        python_path = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, RESULTS_ENV: str(results), QUICK_ENV: "1" if quick else "0",
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": python_path}
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, str(script)], env=env, cwd=HERE.parent, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        timed_out = threading.Event()
        timer = threading.Timer(timeout, _stop, args=(child, timed_out))
        timer.daemon = True
        timer.start()
        assert child.stdout is not None
        for line in child.stdout:
            print(f"  {script.stem} | {line}", end="", flush=True)
        exit_code, peak = wait_with_peak_rss(child)
        timer.cancel()
        seconds = time.perf_counter() - start
        rows = _read_rows(results)
    return ScriptRun(script.stem, exit_code, seconds, peak, timed_out.is_set(),
                     _complete(rows, script.stem, seconds, peak))


def _stop(child: subprocess.Popen, flag: threading.Event) -> None:
    """Stop a script that ran past its time, with its process group (Ray, servers), firmly."""
    flag.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGTERM)
        time.sleep(KILL_GRACE_SECONDS)
        os.killpg(child.pid, signal.SIGKILL)


def _read_rows(path: Path) -> list[Row]:
    if not path.is_file():
        return []
    return [Row(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]


def _complete(rows: list[Row], script: str, seconds: float, peak: float) -> list[Row]:
    """Give rows without a peak the child's; a script without rows gets one wall-time row."""
    if not rows:
        return [Row(step=f"{script} (wall time)", figure=seconds, unit="s", peak_rss_mb=peak)]
    for row in rows:
        if row.peak_rss_mb is None:
            row.peak_rss_mb = peak
    return rows


def failure_row(run: ScriptRun) -> Row | None:
    """A row that makes a failed or stopped script impossible to miss in the table."""
    if run.timed_out:
        return Row(step=f"{run.script}: stopped after {run.seconds:.0f} s", figure=run.seconds,
                   unit="s", met=False, peak_rss_mb=run.peak_rss_mb)
    if run.exit_code != 0:
        return Row(step=f"{run.script}: FAILED (exit {run.exit_code})", figure=run.seconds,
                   unit="s", met=False, peak_rss_mb=run.peak_rss_mb)
    return None


def write_results(path: Path, runs: list[ScriptRun], quick: bool) -> None:
    document = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    # other work on the machine slows every figure; keep the evidence
                    "load_average_at_end": os.getloadavg()},
        "scripts": [
            {k: v for k, v in asdict(run).items() if k != "rows"} for run in runs
        ],
        "rows": [asdict(row) for run in runs for row in run.rows],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="script names to run (default: all)")
    parser.add_argument("--full", action="store_true",
                        help="full sizes from the issues (slow) instead of the quick ones")
    parser.add_argument("--dir", type=Path, default=HERE, help="directory of benchmark scripts")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds after which a script is stopped (default 300; the scripts "
                        "in LONGER get at least their own allowance)")
    parser.add_argument("--out", type=Path, default=HERE / "results.json",
                        help="where to write all rows as JSON (default benchmarks/results.json)")
    args = parser.parse_args(argv)
    scripts = discover(args.dir)
    if args.only:
        scripts = [s for s in scripts if s.stem in set(args.only)]
        missing = set(args.only) - {s.stem for s in scripts}
        if missing:
            parser.error(f"no such benchmark: {', '.join(sorted(missing))}")
    quick = not args.full
    runs = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        timeout = max(args.timeout, LONGER.get(script.stem, 0.0))
        runs.append(run_script(script, quick=quick, timeout=timeout))
    rows = [row for run in runs for row in [*run.rows, failure_row(run)] if row is not None]
    render(rows, title=f"groomwatch benchmarks ({'quick' if quick else 'full'} sizes)")
    write_results(args.out, runs, quick)
    total = sum(run.seconds for run in runs)
    print(f"{len(runs)} scripts in {total:.0f} s; results in {args.out}")
    return 1 if any(failure_row(run) for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
