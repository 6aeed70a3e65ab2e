"""Robustness: re-score perturbed copies of the data and report how the error rates move.

Offenders obfuscate (typos, leetspeak, emoji, odd casing and spacing); a detector whose false
negative rate jumps under light noise is easy to evade. Each perturbation from
``groomwatch.data.perturb`` rewrites every message; the decision threshold stays the same.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from groomwatch.data.record import Conversation
from groomwatch.errors import ConfigError
from groomwatch.evaluation.defaults import DEFAULT_PERTURB_RATE
from groomwatch.evaluation.intervals import json_number


def perturbations(names: Sequence[str]) -> dict[str, Callable]:
    from groomwatch.data.perturb import PERTURBATIONS

    unknown = [n for n in names if n not in PERTURBATIONS]
    if unknown:
        raise ConfigError(
            f"--perturb: unknown perturbation(s) {', '.join(unknown)}; "
            f"choose from {', '.join(PERTURBATIONS)}"
        )
    return {n: PERTURBATIONS[n] for n in names}


def perturbed(convs: Sequence[Conversation], fn: Callable, rate: float,
              seed: int) -> list[Conversation]:
    """Copies of ``convs`` with every message text perturbed (reproducible from ``seed``)."""
    rng = random.Random(seed)
    return [
        dataclasses.replace(
            conv,
            messages=[dataclasses.replace(m, text=fn(m.text, rng, rate)) for m in conv.messages],
        )
        for conv in convs
    ]


def error_rates(y: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    flag = score >= threshold
    negatives, positives = (y == 0), (y == 1)
    return {
        "fpr": float(flag[negatives].mean()) if negatives.any() else math.nan,
        "fnr": float((~flag[positives]).mean()) if positives.any() else math.nan,
        "roc_auc": float(roc_auc_score(y, score)) if negatives.any() and positives.any()
        else math.nan,
    }


def robustness(
    score_fn: Callable[[Sequence[Conversation]], np.ndarray],
    convs: Sequence[Conversation],
    y: np.ndarray,
    threshold: float,
    names: Sequence[str],
    *,
    rate: float = DEFAULT_PERTURB_RATE,
    seed: int = 0,
    progress: Callable[[], None] | None = None,
) -> dict:
    """Rates on each perturbed copy and their change from the clean scores."""
    chosen = perturbations(names)
    clean = error_rates(y, score_fn(convs), threshold)
    results = {}
    for name, fn in chosen.items():
        noisy = error_rates(y, score_fn(perturbed(convs, fn, rate, seed)), threshold)
        results[name] = {
            **{k: json_number(v) for k, v in noisy.items()},
            **{f"delta_{k}": json_number(noisy[k] - clean[k]) for k in clean},
        }
        if progress is not None:
            progress()
    return {"rate": rate, "seed": seed, "threshold": threshold,
            "clean": {k: json_number(v) for k, v in clean.items()}, "perturbations": results}
