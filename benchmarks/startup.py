"""Benchmark: how long ``import groomwatch`` and ``groomwatch --help`` take in a fresh process.

Heavy libraries are imported inside commands (DEVELOPERS.md) so the CLI answers at once;
this measures that it does. Each command runs several times in a new interpreter; the
median wall time is reported with the child's peak RSS. The targets are the project's own
(no issue names one): import under 0.5 s, ``--help`` under 1 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import Row, emit, quick, wait_with_peak_rss

GROOMWATCH = Path(sys.executable).with_name("groomwatch")
COMMANDS = {
    "startup: import groomwatch": ([sys.executable, "-c", "import groomwatch"], "< 0.5 s"),
    "startup: groomwatch --help": ([str(GROOMWATCH), "--help"], "< 1 s"),
}


def time_command(command: list[str], repeats: int) -> tuple[float, float]:
    """Median wall seconds and largest peak RSS (MB) over ``repeats`` fresh runs."""
    seconds, peaks = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        exit_code, peak = wait_with_peak_rss(child)
        seconds.append(time.perf_counter() - start)
        peaks.append(peak)
        if exit_code != 0:
            raise SystemExit(f"{' '.join(command)} exited with {exit_code}")
    return statistics.median(seconds), max(peaks)


def main() -> None:
    repeats = 3 if quick() else 10
    time_command(COMMANDS["startup: import groomwatch"][0], 1)  # warm the file cache
    rows = []
    for step, (command, target) in COMMANDS.items():
        median, peak = time_command(command, repeats)
        rows.append(Row(step, median, "s", target, peak_rss_mb=peak))
    emit(rows)


if __name__ == "__main__":
    main()
