"""Benchmark: assess 1,000,000 synthetic predictions with 1,000 bootstrap resamples.

Prints wall-clock and CPU seconds for the whole report (metrics, exact intervals, bootstrap,
projection, groups, schema check) and peak RSS; CPU time shows the cost when the machine's
two cores are shared. Target: under 120 s on the 2-core development machine.
Usage: python benchmarks/assess.py [--n 1000000] [--resamples 1000]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    items = synthetic_items(args.n)
    y, score = items["y"].to_numpy(), items["score"].to_numpy()
    start, cpu_start = time.perf_counter(), time.process_time()
    decision = decide(y, score, flag=None, threshold=None, target_fpr=0.01)
    report = build_report(items, decision, Options(n_resamples=args.resamples))
    validate_report(report)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"assess: {args.n:,} predictions, {args.resamples:,} resamples: {seconds:.1f} s wall "
          f"(target < 120 s), {cpu:.1f} s CPU; peak RSS {peak_mb:,.0f} MB")
    print(f"  ROC-AUC {report['scores']['roc_auc']['value']:.4f} "
          f"[{report['scores']['roc_auc']['ci_low']:.4f}, "
          f"{report['scores']['roc_auc']['ci_high']:.4f}], threshold "
          f"{report['threshold']['value']:.4f}")


if __name__ == "__main__":
    main()
