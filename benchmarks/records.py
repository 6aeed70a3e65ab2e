"""Benchmark: record I/O against the model it feeds (issue 16).

Writes synthetic 30-message conversations as JSON Lines, then prints, per CPU second of one
core (the figure that holds on a shared machine; best of ``--repeat``):
- records written per second (``write_conversations``);
- records decoded and validated per second (``read_conversations`` alone);
- ``groomwatch score`` end to end (a child process: start-up, read, tfidf-lr predict, CSV
  write), conversations per CPU second of that process, and the same per wall-clock second.
Run: ``.venv/bin/python benchmarks/records.py [--conversations N]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one core, before numpy starts its thread pool

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from detectors import conversations, cpu_seconds, split  # noqa: E402
from harness import Row, emit, quick  # noqa: E402

from groomwatch.data.io import read_conversations, write_conversations  # noqa: E402
from groomwatch.models.registry import create_detector  # noqa: E402

MESSAGES = 30


def score_process(model: Path, data: Path, out: Path) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one ``groomwatch score`` process."""
    command = [sys.executable, "-m", "groomwatch", "score", "--model", str(model),
               "--data", str(data), "--out", str(out)]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"groomwatch score failed: {' '.join(command)}")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=5000 if quick() else 15000,
                        help=f"{MESSAGES}-message conversations to write, read and score")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best is kept)")
    args = parser.parse_args()
    n = args.conversations
    records = conversations(n, MESSAGES, seed=7)
    train, validation = split(conversations(2000, MESSAGES, seed=8))
    with tempfile.TemporaryDirectory(prefix="gw-records-") as tmp:
        data, model, out = Path(tmp, "data.jsonl"), Path(tmp, "model"), Path(tmp, "scores.csv")
        create_detector("tfidf-lr").fit(train, validation).save(model)
        write = cpu_seconds(lambda: write_conversations(data, records), args.repeat)
        read = cpu_seconds(lambda: sum(1 for _ in read_conversations(data)), args.repeat)
        runs = [score_process(model, data, out) for _ in range(args.repeat)]
        cpu, wall = min(r[0] for r in runs), min(r[1] for r in runs)
    emit([
        Row(f"write {MESSAGES}-message records (JSON Lines)", n / write, "conv/s"),
        Row(f"decode + validate {MESSAGES}-message records", n / read, "conv/s",
            ">= 10000 conv/s"),
        Row(f"groomwatch score, tfidf-lr, {n:,} conversations (per CPU s)", n / cpu, "conv/s",
            ">= 2000 conv/s"),
        Row(f"groomwatch score, tfidf-lr, {n:,} conversations (per wall s)", n / wall, "conv/s"),
    ])


if __name__ == "__main__":
    main()
