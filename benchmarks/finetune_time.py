"""Benchmark: how long finetune trains on CPU on the real-train split (issue 14: <= 15 min).

Fits a config (default ``finetune-real``) the way ``groomwatch train`` does
(``fit_detector``: fit, calibrate, threshold on validation) on the real-transfer benchmark's
real-train split (quick sizes) and reports wall seconds, CPU seconds of the process (all
threads), the load average before and after (the machine may be shared: a high load makes
the wall time say little, the CPU seconds less so) and the figures on the VALIDATION split, the
one hyperparameters are chosen on. The test split is ``real_transfer.py``'s.

No corpus text is printed. Run: ``.venv/bin/python benchmarks/finetune_time.py
[--config NAME_OR_YAML] [--set key=value ...]``. It takes minutes, so ``run_all.py``'s quick
mode skips it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

import numpy as np
import yaml
from harness import Row, emit, quick
from real_transfer import datasets_dir, real_splits

from groomwatch.training.config import load_config
from groomwatch.training.run import fit_detector

#: issue 14: finetune trains on CPU in at most 15 minutes
TARGET_SECONDS = "<= 900"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="finetune-real", help="config name or YAML path")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a detector parameter (YAML value), repeatable")
    parser.add_argument("--seed", type=int, default=0, help="seed of the real splits")
    args = parser.parse_args(argv)
    if quick():
        print("finetune_time: skipped in quick mode (it trains for minutes); run it directly")
        return 0
    if datasets_dir() is None:
        print("finetune_time: skipped, the real corpora folder is absent")
        return 0
    if any("=" not in item for item in args.set):
        parser.error("--set takes KEY=VALUE")
    config = load_config(args.config)
    overrides = dict(item.split("=", 1) for item in args.set)
    params = config.params | {key: yaml.safe_load(value) for key, value in overrides.items()}
    config = dataclasses.replace(config, params=params)
    real = real_splits(args.seed)
    load_before = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    detector, y, scores = fit_detector(config, real["train"], real["validation"])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    load_after = os.getloadavg()
    print(f"{config.model} {params}: {len(real['train'])} training conversations, "
          f"{os.cpu_count()} cores, load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after (1 min), {load_after[2]:.1f} (15 min)")
    rows = [Row("fit wall time (fit, calibrate, threshold)", wall, "s", TARGET_SECONDS),
            Row("fit CPU time (all threads)", cpu, "s")]
    rows += validation_rows(real["validation"], y, scores, detector.threshold)
    emit(rows)
    return 0


def validation_rows(validation: list, y: np.ndarray, scores: np.ndarray, threshold: float
                    ) -> list[Row]:
    """ROC-AUC (overall and PJ vs NPS only) and each source's rate at the threshold."""
    from sklearn.metrics import roc_auc_score

    sources = np.array([c.source for c in validation])
    nps = (sources == "pj") | (sources == "nps")
    flagged = scores >= threshold
    return [
        Row("validation ROC-AUC", roc_auc_score(y, scores), ""),
        Row("validation ROC-AUC PJ vs NPS only", roc_auc_score(y[nps], scores[nps]), ""),
        *(Row(f"validation {label} at own threshold", flagged[sources == source].mean(), "")
          for source, label in (("pj", "PJ recall"), ("chitchat", "chit-chat FPR"),
                                ("nps", "NPS FPR"))),
    ]


if __name__ == "__main__":
    sys.exit(main())
