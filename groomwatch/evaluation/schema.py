"""The report's versioned JSON Schema: every report is validated against it before it is written.

``python -m groomwatch.evaluation.schema > docs/report-fields.md`` regenerates the field
reference from the schema's descriptions, so the documentation cannot drift from the format.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from groomwatch.errors import GroomwatchError

SCHEMA_VERSION = "1.1"
SCHEMA_FILE = "report.schema.json"


@cache
def report_schema() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath(SCHEMA_FILE).read_text("utf-8"))


def validate_report(report: dict[str, Any], field: str | None = None) -> None:
    """Raise GroomwatchError naming the first field that breaks the schema.

    With ``field``, only that top-level field of ``report`` is checked (e.g. the provenance that
    ``--reproduce`` reads back, whatever was edited elsewhere).
    """
    import jsonschema

    schema = report_schema()
    if field is not None:
        schema, report = schema["properties"][field], report.get(field)
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(report))
    if error is not None:
        where = "/".join(str(p) for p in [field, *error.absolute_path] if p is not None)
        raise GroomwatchError(
            f"report does not match its schema at {where or '(top level)'}: {error.message}")


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    target = report_schema()["$defs"][ref.rsplit("/", 1)[-1]]
    return {**target, **{k: v for k, v in node.items() if k != "$ref"}}


def _type(node: dict[str, Any]) -> str:
    if "const" in node:
        return f"`{node['const']}`"
    if "enum" in node:
        return " \\| ".join(f"`{'null' if v is None else v}`" for v in node["enum"])
    kind = node.get("type", "")
    return " or ".join(kind) if isinstance(kind, list) else kind


def _rows(node: dict[str, Any], prefix: str) -> list[str]:
    rows = []
    for name, child in node.get("properties", {}).items():
        child = _resolve(child)
        path = f"{prefix}{name}"
        if child.get("required") == ["value", "ci_low", "ci_high"]:
            kind = "estimate {value, ci_low, ci_high}"
        else:
            kind = _type(child)
        rows.append(f"| `{path}` | {kind} | {child.get('description', '')} |")
        if kind.startswith("estimate"):
            continue
        rows += _rows(child, f"{path}.")
        extra = child.get("additionalProperties")
        if isinstance(extra, dict) and "properties" in extra:
            rows += _rows(extra, f"{path}.<name>.")
        items = child.get("items")
        if isinstance(items, dict):
            rows += _rows(items, f"{path}[].")
    return rows


def schema_markdown() -> str:
    """The field reference as a Markdown table, generated from the schema."""
    schema = report_schema()
    lines = [
        f"# Assessment report fields (schema {SCHEMA_VERSION})",
        "",
        "Generated from `groomwatch/evaluation/report.schema.json` by "
        "`python -m groomwatch.evaluation.schema`; do not edit by hand.",
        "",
        schema["description"],
        "",
        "| field | type | meaning |",
        "| --- | --- | --- |",
        *_rows(schema, ""),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(schema_markdown(), end="")
