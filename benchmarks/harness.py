"""The small API every benchmark script shares: measure a step, emit result rows.

A script builds :class:`Row` objects (a figure, its unit, the target named in the issue)
and calls :func:`emit`, which prints them as a table and, when ``run_all.py`` started the
script, appends them as JSON lines to the file named by ``GROOMWATCH_BENCH_RESULTS``.
``quick()`` tells a script to use the sizes that keep ``make bench`` under ten minutes.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Generic, TypeVar

RESULTS_ENV = "GROOMWATCH_BENCH_RESULTS"
QUICK_ENV = "GROOMWATCH_BENCH_QUICK"
_TARGET = re.compile(r"^\s*(>=|<=|>|<)\s*([0-9][0-9_,]*(?:\.[0-9]+)?)")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": float.__ge__, "<=": float.__le__, ">": float.__gt__, "<": float.__lt__,
}

T = TypeVar("T")


def quick() -> bool:
    """Whether to run the small sizes (``GROOMWATCH_BENCH_QUICK=1``, set by ``run_all.py``)."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def meets(figure: float, target: str) -> bool | None:
    """Check ``figure`` against a target such as ``'>= 2000 conv/s'``; None if not numeric."""
    match = _TARGET.match(target)
    if match is None:
        return None
    bound = float(match.group(2).replace(",", "").replace("_", ""))
    return _COMPARE[match.group(1)](float(figure), bound)


@dataclass
class Row:
    """One measured figure; ``met`` is derived from ``target`` unless given."""

    step: str
    figure: float
    unit: str
    target: str = ""
    met: bool | None = None
    peak_rss_mb: float | None = None

    def __post_init__(self) -> None:
        if self.met is None and self.target:
            self.met = meets(self.figure, self.target)


@dataclass(frozen=True)
class Measurement(Generic[T]):
    """What :func:`measure` saw: the function's result, wall seconds and peak RSS in MB."""

    result: T
    seconds: float
    peak_rss_mb: float


def measure(fn: Callable[[], T]) -> Measurement[T]:
    """Time ``fn()`` and record the process's peak resident memory while it ran.

    On Linux the kernel's high-water mark is reset first (``/proc/self/clear_refs``), so the
    peak belongs to this step (including what the process already held when it began);
    elsewhere it is the process's peak so far.
    """
    resettable = _reset_peak_rss()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak = _peak_rss_mb() if resettable else _lifetime_peak_rss_mb()
    return Measurement(result, seconds, peak)


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return _lifetime_peak_rss_mb()


def _lifetime_peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def wait_with_peak_rss(child: subprocess.Popen) -> tuple[int, float]:
    """Wait for a child process; return its exit code and its own peak RSS in MB.

    ``os.wait4`` gives the rusage of that one child, unlike ``RUSAGE_CHILDREN``, which is
    the maximum over every child the process ever waited for.
    """
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage.ru_maxrss / 1024


def format_figure(value: float) -> str:
    """Figures as people read them: thousands separated, at most three significant decimals."""
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"


def render(rows: Iterable[Row], title: str | None = None) -> None:
    """Print rows as one table: step, figure, target, met, peak memory."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for name, justify in (("step", "left"), ("figure", "right"), ("target", "left"),
                          ("met", "center"), ("peak RSS", "right")):
        table.add_column(name, justify=justify)
    verdict = {True: "[green]yes[/]", False: "[red]NO[/]", None: "–"}
    for row in rows:
        peak = "–" if row.peak_rss_mb is None else f"{row.peak_rss_mb:,.0f} MB"
        table.add_row(row.step, f"{format_figure(row.figure)} {row.unit}", row.target or "–",
                      verdict[row.met], peak)
    Console(width=120).print(table)


def emit(rows: Iterable[Row]) -> None:
    """Print the rows and append them to ``$GROOMWATCH_BENCH_RESULTS`` (JSON lines) if set."""
    rows = list(rows)
    render(rows)
    target = os.environ.get(RESULTS_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(asdict(row)) + "\n")
