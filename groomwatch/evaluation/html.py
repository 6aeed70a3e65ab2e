"""The HTML report: one self-contained page (figures embedded) that a lawyer and a data scientist
can both read, rendered from the report dict plus the per-item scores for the curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape

from groomwatch.evaluation import format as fmt
from groomwatch.evaluation.plots import all_plots
from groomwatch.evaluation.provenance import DATA_CARD
from groomwatch.training.card import CARD_MD

FIGURE_CAPTIONS = (
    ("roc", "ROC curve with the operating point"),
    ("pr", "Precision–recall curve (test-set precision)"),
    ("det", "DET curve: both error rates on normal-deviate axes"),
    ("distribution", "Scores of innocent and grooming items"),
    ("reliability", "Reliability diagram: predicted probability against observed share"),
    ("error_rates", "False positive and false negative rates against the threshold"),
)


def find_cards(data: Path | None, model: Path | None) -> dict[str, str]:
    """The data card (README.md beside the data) and model card, when they exist."""
    candidates = {
        "Data card": data.parent / DATA_CARD if data else None,
        "Model card": model / CARD_MD if model else None,
    }
    return {name: path.read_text(encoding="utf-8") for name, path in candidates.items()
            if path is not None and path.is_file()}


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("groomwatch.evaluation", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters |= {"pct": fmt.pct, "num": fmt.num, "count": fmt.count, "interval": fmt.interval,
                    "signed_pct": fmt.signed_pct, "signed_num": fmt.signed_num,
                    "points": fmt.points}
    return env


def render_html(
    report: dict,
    y: np.ndarray,
    score: np.ndarray,
    flag: np.ndarray,
    *,
    title: str,
    cards: dict[str, str],
) -> str:
    figures = all_plots(y, score, flag.astype(bool), report["threshold"]["value"],
                        calibrated=report["calibration"] is not None)
    return _environment().get_template("report.html.j2").render(
        r=report,
        title=title,
        words=fmt.words(report),
        threshold=fmt.threshold_text(report),
        headline=fmt.headline_rows(report),
        deployment=fmt.deployment_rows(report),
        projection=fmt.projection_sentence(report),
        figures=figures,
        figure_captions=FIGURE_CAPTIONS,
        cards=cards,
        gap_labels={"fpr": "FPR", "fnr": "FNR", "precision": "precision"},
    )
