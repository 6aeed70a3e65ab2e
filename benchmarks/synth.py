"""Benchmark: synthetic conversation generation speed (issue 3).

Prints conversations and messages per second, by wall clock and per CPU second (the figure
for "one core" on a shared machine). Target: at least 1,000 conversations per CPU second.
Run: ``.venv/bin/python benchmarks/synth.py [--n N]``.
"""

from __future__ import annotations

import argparse
import time

from harness import Row, emit, measure, quick

from groomwatch.data.synth import SynthConfig, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000 if quick() else 20000)
    args = parser.parse_args()
    config = SynthConfig(n=args.n)
    generate(SynthConfig(n=50))  # load the six grammars outside the timing
    cpu_start = time.process_time()
    run = measure(lambda: generate(config))
    cpu = time.process_time() - cpu_start
    messages = sum(len(c.messages) for c in run.result)
    emit(
        [
            Row(
                "synth: conversations/s (per CPU second)",
                args.n / cpu,
                "conv/s",
                ">= 1000 conv/s",
                peak_rss_mb=run.peak_rss_mb,
            ),
            Row("synth: messages/s (per CPU second)", messages / cpu, "msg/s"),
            Row("synth: conversations/s (wall clock)", args.n / run.seconds, "conv/s"),
            Row("synth: messages per conversation", messages / args.n, "msg"),
        ]
    )


if __name__ == "__main__":
    main()
