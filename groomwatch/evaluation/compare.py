"""Compare two technologies on the same labelled items.

Paired tests, because both technologies saw the same conversations: the ROC-AUC difference gets
a paired bootstrap (each resample draws the same conversations for both), the decisions get
McNemar's exact test (a binomial test on the items where exactly one of them is right).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from groomwatch.errors import InputError
from groomwatch.evaluation import format as fmt
from groomwatch.evaluation.intervals import json_number, percentile_interval
from groomwatch.evaluation.outputs import ITEMS_CSV, REPORT_JSON
from groomwatch.evaluation.provenance import data_hashes, file_record, provenance, short
from groomwatch.evaluation.weighted import WeightedScores
from groomwatch.stats import CONFIDENCE

SIGNIFICANCE = 0.05
#: side-by-side rows: (block, key, label, formatter)
SIDE_BY_SIDE = (
    ("rates", "fpr", "False positive rate", fmt.pct),
    ("rates", "fnr", "False negative rate", fmt.pct),
    ("rates", "precision", "Precision (test set)", fmt.pct),
    ("scores", "roc_auc", "ROC-AUC", fmt.num),
    ("scores", "average_precision", "Average precision", fmt.num),
    ("scores", "f0_5", "F0.5", fmt.num),
    ("deployment", "false_positives_per_day", "Innocent flagged per day", fmt.count),
)


def load_report_dir(directory: Path) -> tuple[dict, pd.DataFrame]:
    report_path, items_path = directory / REPORT_JSON, directory / ITEMS_CSV
    for path in (report_path, items_path):
        if not path.is_file():
            raise InputError(f"{directory}: no {path.name} (run `groomwatch assess --out` first)")
    items = pd.read_csv(items_path, dtype={"id": str})
    return json.loads(report_path.read_text(encoding="utf-8")), items


def paired(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Align two item tables by id; they must cover the same items with the same labels."""
    only_a, only_b = set(a["id"]) - set(b["id"]), set(b["id"]) - set(a["id"])
    if only_a or only_b:
        raise InputError(
            f"the two assessments cover different items ({len(only_a)} only in A, "
            f"{len(only_b)} only in B): compare technologies on the same data"
        )
    b = b.set_index("id").loc[a["id"]].reset_index()
    if not np.array_equal(a["y"].to_numpy(), b["y"].to_numpy()):
        raise InputError("the two assessments label the same items differently")
    return a.reset_index(drop=True), b


def check_same_data(reports: tuple[dict, dict], names: tuple[str, str]) -> None:
    """Refuse reports computed on different labelled data (or data that cannot be told apart).

    Equal item ids and labels are not enough: the conversations' text may differ, and then the
    two technologies did not see the same thing. The data files' SHA-256 decide.
    """
    hashes = [data_hashes(r.get("provenance")) for r in reports]
    unknown = [name for name, h in zip(names, hashes, strict=True) if not h]
    if unknown:
        raise InputError(
            f"{' and '.join(unknown)}: no provenance (a report made before schema 1.1), so it "
            "cannot be told which labelled data it was computed on; assess again, or pass "
            "--allow-different-data to compare anyway"
        )
    if hashes[0] != hashes[1]:
        described = "; ".join(
            f"{name}: " + ", ".join(f"{i['path']} (SHA-256 {short(i['sha256'])}…)"
                                    for i in r["provenance"]["inputs"] if i["role"] == "data")
            for name, r in zip(names, reports, strict=True)
        )
        raise InputError(
            f"the two reports were computed on different labelled data ({described}); their "
            "figures are not comparable. Pass --allow-different-data to compare them anyway"
        )


def comparison_provenance(
    reports: tuple[dict, dict],
    names: tuple[str, str],
    directories: tuple[Path, Path],
    options: dict,
) -> dict:
    """Both reports' provenance, plus the hashes of the files compared and this run's own."""
    inputs = [file_record(role, directory / filename)
              for directory in directories
              for role, filename in (("report", REPORT_JSON), ("items", ITEMS_CSV))]
    command = "groomwatch compare " + " ".join(str(d) for d in directories)
    hashes = [data_hashes(r.get("provenance")) for r in reports]
    return {**provenance(command, options, inputs),
            "same_data": bool(hashes[0]) and hashes[0] == hashes[1],
            "reports": {name: r.get("provenance") for name, r in zip(names, reports, strict=True)}}


def mcnemar(y: np.ndarray, flag_a: np.ndarray, flag_b: np.ndarray) -> dict:
    """Exact McNemar test: of the items exactly one technology gets right, is the split 50/50?"""
    right_a, right_b = flag_a == y, flag_b == y
    only_a, only_b = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
    discordant = only_a + only_b
    p = float(binomtest(only_a, discordant, 0.5).pvalue) if discordant else 1.0
    return {"only_a_right": only_a, "only_b_right": only_b, "p_value": p}


def auc_difference(
    y: np.ndarray,
    score_a: np.ndarray,
    score_b: np.ndarray,
    n_resamples: int,
    seed: int,
    progress: Callable[[], None] | None = None,
) -> dict:
    """ROC-AUC of B minus A with a paired percentile bootstrap interval and two-sided p-value."""
    scorers = [WeightedScores(y, s, np.zeros(len(y), dtype=bool)) for s in (score_a, score_b)]
    ones = np.ones(len(y), dtype=np.int64)
    observed = scorers[1](ones)["roc_auc"] - scorers[0](ones)["roc_auc"]
    rng = np.random.default_rng(seed)
    diffs = np.empty(n_resamples)
    for i in range(n_resamples):
        drawn = rng.integers(0, len(y), size=len(y))
        auc_a, auc_b = (s(s.weights_for(drawn))["roc_auc"] for s in scorers)
        diffs[i] = auc_b - auc_a
        if progress is not None:
            progress()
    finite = diffs[np.isfinite(diffs)]
    # two-sided, with the +1 correction so a finite number of resamples never claims p = 0
    tail = min((finite <= 0).sum(), (finite >= 0).sum())
    p = min(1.0, 2 * (tail + 1) / (finite.size + 1)) if finite.size else np.nan
    return {
        **percentile_interval(observed, diffs, CONFIDENCE).to_dict(),
        "p_value": json_number(p),
        "n_resamples": n_resamples,
        "seed": seed,
    }


def verdict(names: tuple[str, str], auc: dict, decisions: dict) -> str:
    a, b = names
    diff = auc["value"]
    if diff is None:
        auc_text = "ROC-AUC cannot be compared (one class only)."
    else:
        significant = auc["p_value"] is not None and auc["p_value"] < SIGNIFICANCE
        if significant:
            lead = f"{b if diff > 0 else a} ranks items significantly better"
        else:
            lead = "Neither ranks items significantly better"
        auc_text = (
            f"{lead} (ROC-AUC difference {b} − {a} = {diff:+.3f}, 95% CI {auc['ci_low']:+.3f} "
            f"to {auc['ci_high']:+.3f}, paired bootstrap p = {auc['p_value']:.3g})."
        )
    only_a, only_b, p = decisions["only_a_right"], decisions["only_b_right"], decisions["p_value"]
    if p < SIGNIFICANCE:
        winner = a if only_a > only_b else b
        decision_text = f"{winner}'s decisions are right significantly more often"
    else:
        decision_text = "Their decisions are not significantly different"
    return (
        f"{auc_text} {decision_text} (McNemar exact p = {p:.3g}: {a} alone right on "
        f"{only_a:,} items, {b} alone right on {only_b:,})."
    )


def compare(
    reports: tuple[dict, dict],
    items: tuple[pd.DataFrame, pd.DataFrame],
    names: tuple[str, str],
    *,
    n_resamples: int,
    seed: int,
    directories: tuple[Path, Path],
    allow_different_data: bool = False,
    progress: Callable[[], None] | None = None,
) -> dict:
    """Paired tests of two assessed technologies, from their report directories' contents."""
    if not allow_different_data:
        check_same_data(reports, names)
    a, b = paired(*items)
    y = a["y"].to_numpy(dtype=np.int64)
    auc = auc_difference(y, a["score"].to_numpy(float), b["score"].to_numpy(float),
                         n_resamples, seed, progress)
    decisions = mcnemar(y, a["flag"].to_numpy(bool), b["flag"].to_numpy(bool))
    rows = [
        {"measure": label,
         "a": reports[0][block][key]["value"], "b": reports[1][block][key]["value"],
         "a_text": formatter(reports[0][block][key]["value"]),
         "b_text": formatter(reports[1][block][key]["value"])}
        for block, key, label, formatter in SIDE_BY_SIDE
    ]
    options = {"resamples": n_resamples, "seed": seed, "allow_different_data": allow_different_data}
    return {"names": list(names), "n": len(y), "roc_auc_difference": auc,
            "mcnemar": decisions, "side_by_side": rows, "verdict": verdict(names, auc, decisions),
            "provenance": comparison_provenance(reports, names, directories, options)}


def comparison_markdown(result: dict) -> str:
    a, b = result["names"]
    lines = [f"# {a} vs {b} on the same {result['n']:,} items", "",
             f"| measure | {a} | {b} |", "| --- | --- | --- |"]
    lines += [f"| {r['measure']} | {r['a_text']} | {r['b_text']} |" for r in result["side_by_side"]]
    warning = [] if result["provenance"]["same_data"] else [
        "", "Warning: the two reports were not shown to be computed on the same labelled data "
        "(compared with --allow-different-data)."]
    return "\n".join([*lines, "", result["verdict"], *warning, ""])
