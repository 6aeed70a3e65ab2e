"""report.md: the headline tables for a pull request or an email."""

from __future__ import annotations

from groomwatch.evaluation import format as fmt


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _provenance(block: dict | None) -> list[str]:
    """The inputs with their full SHA-256, and the command that re-checks the figures."""
    if not block:
        return []
    rows = [(i["role"].replace("_", " "), f"`{i['path']}`", f"`{i['sha256']}`", f"{i['bytes']:,}",
             "" if i["count"] is None else f"{i['count']:,} {i['unit']}") for i in block["inputs"]]
    return ["", "## Provenance", "",
            f"Command: `{block['command']}`. Re-check every figure with "
            f"`groomwatch assess --reproduce {block['options']['out']}`.", "",
            *_table(("input", "file", "SHA-256", "bytes", "count"), rows)]


def render_markdown(report: dict, title: str) -> str:
    w = fmt.words(report)
    c = report["confusion"]
    lines = [
        f"# Assessment report — {title}",
        "",
        f"{report['n']:,} {w['items']} ({report['n_positive']:,} {w['positives']}); decision: "
        f"{fmt.threshold_text(report)}; computed {report['generated_at']}.",
        "",
        *_table(("measure", "value", "95% interval"), fmt.headline_rows(report)),
        "",
        *_table(("", "flagged", "not flagged"), [
            (w["positives"], f"{c['tp']:,} (TP)", f"{c['fn']:,} (FN)"),
            (f"innocent {w['items']}", f"{c['fp']:,} (FP)", f"{c['tn']:,} (TN)"),
        ]),
        "",
        "## At deployment scale",
        "",
        fmt.projection_sentence(report),
        "",
        *_table(("projected", "value", "95% interval"), fmt.deployment_rows(report)),
        "",
        "## Summary in plain words",
        "",
        *[f"- {s}" for s in report["regulatory_summary"]["statements"]],
    ]
    for field, block in report["by_group"].items():
        rows = [
            (g["group"], f"{g['n']:,}", fmt.pct(g["rates"]["fpr"]["value"]),
             fmt.interval(g["rates"]["fpr"]), fmt.pct(g["rates"]["fnr"]["value"]),
             fmt.interval(g["rates"]["fnr"]), g["note"] or "")
            for g in block["groups"]
        ]
        lines += ["", f"## By {field}", "",
                  *_table(("group", "n", "FPR", "95% interval", "FNR", "95% interval", "note"),
                          rows)]
    notes = [f"Note: {n}" for n in report["notes"]]
    lines += [*(["", *notes] if notes else []), *_provenance(report["provenance"])]
    return "\n".join(lines).rstrip() + "\n"
