"""Write a report directory: report.json (validated against its schema), report.html, report.md,
and items.csv (ids, labels, scores, decisions; no text) so `groomwatch compare` can pair two
technologies item by item later."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from groomwatch.data.io import atomic_output
from groomwatch.evaluation.schema import validate_report

REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
REPORT_MD = "report.md"
ITEMS_CSV = "items.csv"


def write_report_dir(
    out: Path, report: dict, html: str, markdown: str, items: pd.DataFrame
) -> dict[str, Path]:
    """Validate, then write every file atomically; returns name -> path."""
    validate_report(report)
    paths = {name: out / name for name in (REPORT_JSON, REPORT_HTML, REPORT_MD, ITEMS_CSV)}
    with atomic_output(paths[REPORT_JSON]) as handle:
        json.dump(report, handle, indent=2, ensure_ascii=False, allow_nan=False)
        handle.write("\n")
    with atomic_output(paths[REPORT_HTML]) as handle:
        handle.write(html)
    with atomic_output(paths[REPORT_MD]) as handle:
        handle.write(markdown)
    with atomic_output(paths[ITEMS_CSV]) as handle:
        items[["id", "y", "score", "flag"]].to_csv(handle, index=False)
    return paths
