"""The pipeline's shape: a stage imports only stages to its left."""

from __future__ import annotations

import ast
from pathlib import Path

import groomwatch

STAGES = ["data", "models", "training", "evaluation", "serving"]
PACKAGE = Path(groomwatch.__file__).parent


def _imported_stages(path: Path) -> set[str]:
    stages = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "groomwatch" and len(parts) > 1 and parts[1] in STAGES:
                stages.add(parts[1])
    return stages


def test_every_stage_imports_only_stages_to_its_left() -> None:
    violations = []
    for position, stage in enumerate(STAGES):
        allowed = set(STAGES[: position + 1])
        for path in sorted((PACKAGE / stage).rglob("*.py")):
            for imported in _imported_stages(path) - allowed:
                violations.append(f"{path.relative_to(PACKAGE)} imports groomwatch.{imported}")
    assert violations == []


def test_the_rule_checker_sees_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from groomwatch.serving import app\nimport groomwatch.models.base\n")
    assert _imported_stages(module) == {"serving", "models"}
