"""The tutorial notebooks run top to bottom, in the fast configuration CI uses, through the
very command the README gives (``jupyter execute``), so the documented path is the tested one."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: The README's headless run, e.g. `.venv/bin/jupyter execute --output=/tmp/01-run.ipynb NB`.
README_COMMAND = re.search(r"^ {4}(\S*jupyter execute .*)$", (ROOT / "README.md").read_text(),
                           re.MULTILINE).group(1)
#: What each notebook must leave behind in its working directory: proof the real steps ran.
WRITES = {
    "01_train_a_detector": [
        "data/notebook-01/README.md",
        "models/notebook-01/tfidf/detector.json",
        "models/notebook-01/static/detector.json",
    ],
    "02_assess_a_technology": [
        "reports/notebook-02/keyword-scorer/report.json",
        "reports/notebook-02/comparison/comparison.json",
    ],
    "03_early_warning": [],
}


def readme_run(notebook: Path, output: Path) -> list[str]:
    """The README's command for ``notebook``: the same program, options and argument shape, with
    this interpreter's `jupyter`, the notebook in question and the output under the test's tmp."""
    program, *options, _ = shlex.split(README_COMMAND)
    assert program.endswith(".venv/bin/jupyter") and options[0] == "execute", README_COMMAND
    assert [o.split("=")[0] for o in options[1:]] == ["--output"], README_COMMAND
    return [str(Path(sys.executable).parent / "jupyter"), "execute", f"--output={output}",
            str(notebook)]


def test_every_notebook_is_checked() -> None:
    assert [p.stem for p in NOTEBOOKS] == sorted(WRITES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{path.name} has no code"
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    work, executed = tmp_path / "work", tmp_path / f"{path.stem}-run.ipynb"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_PATH"} | {
        "GROOMWATCH_NOTEBOOK_FAST": "1",
        "GROOMWATCH_NOTEBOOK_DIR": str(work),
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
    }
    # From the checkout root, as the README says; the kernel is the notebook's own "python3",
    # which jupyter resolves to the virtualenv's Python (a kernel without groomwatch would fail).
    done = subprocess.run(readme_run(path, executed), cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    notebook = nbformat.read(executed, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "a cell did not run"
    outputs = [output for cell in code for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.get("name") == "stdout" for o in outputs), "the notebook printed nothing"
    assert "fast configuration" in "".join(o.get("text", "") for o in outputs)
    assert [name for name in WRITES[path.stem] if not (work / name).is_file()] == []
    if path.stem == "03_early_warning":
        assert any("image/png" in o.get("data", {}) for o in outputs), "no plot of the stream"
