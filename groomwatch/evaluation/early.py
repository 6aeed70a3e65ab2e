"""Early detection: how soon a warning fires, following the shared metrics notes exactly.

``warning_at`` is k, the number of (non-empty) messages seen when the warning fired; a
conversation without a warning counts as a negative decision.
ERDE_o (Losada & Crestani 2016) averages a per-conversation cost: c_fp = share of positives for
a false alarm, 1 for a miss, lc_o(k) = 1 − 1/(1 + e^(k − o)) for a hit, 0 otherwise.
F_latency (Sadeque et al. 2018) = F1 · (1 − median penalty(k) over hits), with
penalty(k) = −1 + 2/(1 + e^(−p·(k − 1))) and eSPD's p = ln 3 / 89, so penalty(90) = 0.5.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit
from sklearn.metrics import f1_score

ESPD_P = math.log(3) / 89


def erde(y: np.ndarray, warning_at: np.ndarray, o: float) -> float:
    """Mean ERDE_o cost over conversations (lower is better)."""
    warned = ~np.isnan(warning_at)
    c_fp = y.mean()
    k = np.where(warned, warning_at, 0.0)
    latency_cost = 1.0 - expit(-(k - o))  # 1 − 1/(1 + e^(k − o))
    cost = np.select(
        [warned & (y == 0), ~warned & (y == 1), warned & (y == 1)],
        [c_fp, 1.0, latency_cost],
        default=0.0,
    )
    return float(cost.mean())


def latency_penalty(k: np.ndarray, p: float = ESPD_P) -> np.ndarray:
    return -1.0 + 2.0 * expit(p * (k - 1))


def early_detection(y: np.ndarray, warning_at: np.ndarray, p: float = ESPD_P) -> dict:
    """ERDE_5, ERDE_50, F_latency and the median messages to a correct warning."""
    warned = ~np.isnan(warning_at)
    hits = warned & (y == 1)
    f1 = float(f1_score(y, warned, zero_division=0.0))
    if hits.any():
        k_hits = warning_at[hits]
        speed = 1.0 - float(np.median(latency_penalty(k_hits, p)))
        median_k = float(np.median(k_hits))
    else:
        speed, median_k = math.nan, math.nan
    return {
        "erde_5": erde(y, warning_at, 5),
        "erde_50": erde(y, warning_at, 50),
        "f1": f1,
        "speed": None if math.isnan(speed) else speed,
        "f_latency": 0.0 if math.isnan(speed) else f1 * speed,
        "median_messages_to_warning": None if math.isnan(median_k) else median_k,
        "latency_p": p,
        "n_warned": int(warned.sum()),
    }
