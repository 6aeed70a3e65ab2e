"""Benchmark: assess 1,000,000 synthetic predictions with 1,000 bootstrap resamples.

Times the whole report (metrics, exact intervals, bootstrap, projection, groups, schema check):
wall clock against the issue's target (< 120 s), CPU time (the cost when the two cores are
shared) and peak RSS. ``make bench`` runs it quick (200,000 x 200); alone it runs the full size.
Usage: python benchmarks/assess.py [--n 1000000] [--resamples 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from harness import Row, emit, measure, quick

from groomwatch.evaluation.report import Options, build_report
from groomwatch.evaluation.schema import validate_report
from groomwatch.evaluation.threshold import decide


def synthetic_items(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.05).astype(np.int8)
    score = np.clip(rng.normal(0.25 + 0.45 * y, 0.15), 0, 1)
    return pd.DataFrame({
        "id": np.arange(n).astype(str),
        "y": y,
        "score": score,
        "group:language": rng.choice(["en", "de", "fr", "nl", "pl"], size=n),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000 if quick() else 1_000_000)
    parser.add_argument("--resamples", type=int, default=200 if quick() else 1000)
    args = parser.parse_args()
    items = synthetic_items(args.n)
    y, score = items["y"].to_numpy(), items["score"].to_numpy()

    def assess() -> dict:
        decision = decide(y, score, flag=None, threshold=None, target_fpr=0.01)
        report = build_report(items, decision, Options(n_resamples=args.resamples))
        validate_report(report)
        return report

    cpu_start = time.process_time()
    run = measure(assess)
    cpu = time.process_time() - cpu_start
    full_size = args.n >= 1_000_000 and args.resamples >= 1000
    size = f"{args.n:,} predictions x {args.resamples:,} resamples"
    emit([
        Row(f"assess: {size} (wall clock)", run.seconds, "s",
            "< 120 s" if full_size else "", peak_rss_mb=run.peak_rss_mb),
        Row(f"assess: {size} (CPU)", cpu, "s"),
        Row("assess: ROC-AUC of the synthetic scores", run.result["scores"]["roc_auc"]["value"],
            ""),
    ])


if __name__ == "__main__":
    main()
