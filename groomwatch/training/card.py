"""The model card written beside every trained detector (``MODEL_CARD.md`` + ``model_card.json``).

A detector flags people for suspected child sexual abuse; whoever deploys or assesses it needs
to know what it was trained on (exact file hashes, the dataset's own card), how well it did on
data it did not learn from (with intervals, not bare numbers), where its threshold came from,
and what it must not be used for. The JSON is for machines, the Markdown for people.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from groomwatch import __version__
from groomwatch.data.io import SPLITS, atomic_output
from groomwatch.data.record import Conversation
from groomwatch.stats import REPORT_FPR, threshold_for_fpr
from groomwatch.training.config import ThresholdPolicy, TrainConfig
from groomwatch.training.metrics import Estimate, binomial_estimate

CARD_MD = "MODEL_CARD.md"
CARD_JSON = "model_card.json"

INTENDED_USE = (
    "Rank chat conversations for human review as possible online grooming (solicitation of "
    "children). Every flag must be confirmed by a trained human reviewer before any action or "
    "report; conversations that raise no suspicion must be deleted."
)
OUT_OF_SCOPE = [
    "Automated decisions or reports to authorities without human confirmation.",
    "Evidence about a person, or a judgement of guilt; a score is a ranking signal only.",
    "Age verification or identifying who is a child.",
    "Languages, platforms or conversation styles absent from the training data, until the "
    "detector has been assessed on them.",
    "Deployment at a base rate or volume other than the one it was assessed at, without "
    "recomputing precision and the review workload for that base rate.",
]


def fingerprint(directory: Path) -> dict[str, str]:
    """SHA-256 of each split file present, so a card names exactly the data behind the model."""
    hashes = {}
    for path in sorted(directory.iterdir()):
        if path.stem in SPLITS and path.suffix in (".jsonl", ".parquet"):
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            hashes[path.name] = digest.hexdigest()
    return hashes


def code_version() -> dict[str, Any]:
    """The package version and, when running from a git checkout, its commit and dirtiness."""
    version: dict[str, Any] = {"groomwatch": __version__}
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "groomwatch"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return version
    version["git_commit"] = commit
    version["git_dirty"] = bool(status.strip())
    return version


def split_summary(conversations: Sequence[Conversation]) -> dict[str, Any]:
    languages = Counter(c.language or "unknown" for c in conversations)
    sources = Counter(c.source or "unknown" for c in conversations)
    return {
        "conversations": len(conversations),
        "grooming": sum(1 for c in conversations if c.label == 1),
        "languages": dict(languages.most_common()),
        "sources": dict(sources.most_common()),
    }


def by_source(
    validation: Sequence[Conversation],
    y: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    policy: ThresholdPolicy,
) -> dict[str, Any]:
    """Validation rates per source: one FPR for all negatives hides the hard ones.

    Per negative source: its FPR at the threshold, and the recall (over all validation
    positives) a threshold holding that source at the policy's target FPR would leave. Per
    positive source: the recall at the threshold.
    """
    source = np.array([c.source or "unknown" for c in validation], dtype=object)
    flagged = scores >= threshold
    positives = y == 1
    negatives: dict[str, Any] = {}
    for name in sorted(set(source[~positives])):
        mask = (source == name) & ~positives
        at_target = threshold_for_fpr(y[mask | positives], scores[mask | positives],
                                      policy.target_fpr)
        negatives[name] = {
            "fpr": binomial_estimate(int(flagged[mask].sum()), int(mask.sum())).to_dict(),
            "recall_at_target_fpr": {
                "target_fpr": policy.target_fpr,
                "threshold": at_target,
                "recall": float(np.mean(scores[positives] >= at_target)) if positives.any()
                else float("nan"),
            },
        }
    recall = {
        name: binomial_estimate(
            int(flagged[(source == name) & positives].sum()),
            int(((source == name) & positives).sum()),
        ).to_dict()
        for name in sorted(set(source[positives]))
    }
    return {"negatives": negatives, "positives": recall}


def build_card(
    *,
    config: TrainConfig,
    params: dict[str, Any],
    splits: dict[str, Sequence[Conversation]],
    metrics: dict[str, Estimate],
    threshold: float,
    source_rates: dict[str, Any] | None = None,
    cross_fitted: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``cross_fitted``: the out-of-fold training negatives' FPR at the threshold (with the
    ``threshold.cross_fit`` policy), which the threshold was also set on."""
    readme = config.data / "README.md"
    sources = {c.source or "unknown" for convs in splits.values() for c in convs}
    return {
        "model": config.model,
        "params": params,
        "intended_use": INTENDED_USE,
        "out_of_scope": OUT_OF_SCOPE,
        "training_data": {
            "directory": str(config.data),
            "sha256": fingerprint(config.data),
            "splits": {name: split_summary(convs) for name, convs in splits.items()},
            "dataset_card": readme.read_text(encoding="utf-8") if readme.is_file() else None,
        },
        "validation_metrics": {name: e.to_dict() for name, e in metrics.items()},
        "validation_by_source": source_rates or {"negatives": {}, "positives": {}},
        "threshold": {"value": threshold, "how_chosen": config.threshold.describe()}
        | ({"cross_fitted_negatives": cross_fitted} if cross_fitted else {}),
        "seed": config.seed,
        "limitations": limitations(sources),
        "code_version": code_version(),
    }


def limitations(sources: set[str]) -> list[str]:
    notes = [
        "Calibration and the threshold were fitted on the validation split, so the validation "
        "metrics here are optimistic; the untouched test split is for the assessment.",
        "Validation prevalence is not a deployment base rate: precision at the real base rate "
        "is far lower than here and must be computed before deployment.",
        "The detector sees text only; it does not know ages, images, or context outside the chat.",
    ]
    if any("synth" in source for source in sources):
        notes.insert(
            0,
            "Trained on synthetic conversations: scores on real conversations are unknown until "
            "assessed on real data; expect lower recall and more false positives.",
        )
    return notes


def _fmt(estimate: dict[str, Any]) -> str:
    text = f"{estimate['value']:.3f} [{estimate['low']:.3f}, {estimate['high']:.3f}]"
    if "trials" in estimate:
        text += f" ({estimate['successes']}/{estimate['trials']})"
    return text


def render_markdown(card: dict[str, Any]) -> str:
    data = card["training_data"]
    lines = [
        f"# Model card: {card['model']}",
        "",
        "## Intended use",
        card["intended_use"],
        "",
        "## Out of scope",
        *[f"- {item}" for item in card["out_of_scope"]],
        "",
        "## Training data",
        f"Directory `{data['directory']}`.",
        "",
        "| split | conversations | grooming | languages |",
        "|---|---|---|---|",
        *[
            f"| {name} | {s['conversations']} | {s['grooming']} | "
            + ", ".join(f"{k} {v}" for k, v in s["languages"].items())
            + " |"
            for name, s in data["splits"].items()
        ],
        "",
        "SHA-256 of the split files:",
        "",
        *[f"- `{name}`: `{digest}`" for name, digest in data["sha256"].items()],
        "",
        "## Validation metrics (95% intervals)",
        "| metric | value [interval] | method |",
        "|---|---|---|",
        *[
            f"| {name} | {_fmt(e)} | {e['method']} |"
            for name, e in card["validation_metrics"].items()
        ],
        "",
        f"`recall_at_1pct_fpr` is the best recall at a false positive rate of {REPORT_FPR:.0%}; "
        "precision, recall and fpr are at the threshold below.",
        "",
        "## Threshold",
        f"{card['threshold']['value']:.6g} — {card['threshold']['how_chosen']}. "
        "A conversation is flagged when its score is at least the threshold.",
        *_cross_fitted_line(card["threshold"].get("cross_fitted_negatives")),
        "",
        *_source_lines(card.get("validation_by_source")),
        "## Limitations",
        *[f"- {item}" for item in card["limitations"]],
        "",
        "## Code version and parameters",
        "```json",
        json.dumps(
            card["code_version"] | {"seed": card["seed"], "params": card["params"]}, indent=2
        ),
        "```",
    ]
    if data["dataset_card"]:
        lines += ["", "## Dataset card (from the data directory)", ""]
        lines.append(_demoted(data["dataset_card"]))
    return "\n".join(lines) + "\n"


def _source_lines(sources: dict[str, Any] | None) -> list[str]:
    """The per-source validation table: FPR at the threshold, and what a per-source
    threshold at the target FPR would leave of recall."""
    if not sources or not (sources["negatives"] or sources["positives"]):
        return []
    lines = [
        "## Validation by source (95% intervals)",
        "| source | label | rate at the threshold | recall with this source at the target FPR |",
        "|---|---|---|---|",
    ]
    for name, entry in sources["negatives"].items():
        target = entry["recall_at_target_fpr"]
        lines.append(
            f"| {name} | negatives | FPR {_fmt(entry['fpr'])} | "
            f"{target['recall']:.3f} (FPR {target['target_fpr']:g}) |"
        )
    for name, estimate in sources["positives"].items():
        lines.append(f"| {name} | grooming | recall {_fmt(estimate)} | |")
    return [*lines, ""]


def _demoted(markdown: str) -> str:
    """Nest the dataset card's headings under this card's section."""
    return "\n".join(
        f"##{line}" if line.startswith("#") else line for line in markdown.strip().splitlines()
    )


def write_card(directory: Path, card: dict[str, Any]) -> None:
    with atomic_output(directory / CARD_JSON) as handle:
        json.dump(card, handle, indent=2, allow_nan=True)
        handle.write("\n")
    with atomic_output(directory / CARD_MD) as handle:
        handle.write(render_markdown(card))


def _cross_fitted_line(cross_fitted: dict[str, Any] | None) -> list[str]:
    if not cross_fitted:
        return []
    return [
        "",
        f"FPR of the training split's negatives of {cross_fitted['groups']} groups, each scored "
        f"out of fold, at the threshold: {_fmt(cross_fitted['fpr'])}.",
    ]
