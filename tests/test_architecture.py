"""The pipeline's shape: a stage imports only stages to its left, helpers below them all.

The top-level helpers (``errors.py``, ``stats.py``) sit below every stage, so both training and
the assessment can use one statistics implementation without training importing evaluation.
"""

from __future__ import annotations

import ast
from pathlib import Path

import groomwatch

STAGES = ["data", "models", "training", "evaluation", "serving"]
PACKAGE = Path(groomwatch.__file__).parent
#: Top-level modules every stage may use; they import no stage.
HELPERS = ["errors", "stats"]


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


def test_helpers_import_no_stage() -> None:
    for helper in HELPERS:
        assert _imported_stages(PACKAGE / f"{helper}.py") == set(), helper


def _imported_modules(path: Path, package: str) -> set[str]:
    """Modules of ``package`` that ``path`` imports anywhere (function-level imports too)."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return {m for m in modules if m.startswith(f"{package}.")}


def test_data_modules_import_each_other_one_way() -> None:
    """No two record modules lean on each other (io used to import hf and hf io)."""
    modules = {f"groomwatch.data.{p.stem}": p for p in (PACKAGE / "data").glob("*.py")
               if p.stem != "__init__"}
    graph = {name: _imported_modules(path, "groomwatch.data") & modules.keys() - {name}
             for name, path in modules.items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n}))
                   for n in graph[start])

    assert sorted(name for name in graph if reaches(name, name, {name})) == []


def test_the_rule_checker_sees_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from groomwatch.serving import app\nimport groomwatch.models.base\n")
    assert _imported_stages(module) == {"serving", "models"}
