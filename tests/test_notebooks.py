"""The tutorial notebooks run top to bottom, in the fast configuration CI uses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
KERNEL = "groomwatch-notebook-test"
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


@pytest.fixture
def kernel_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec for this very interpreter, so the notebooks run in the project's venv
    whatever other `python3` kernels the machine has registered."""
    spec_dir = tmp_path / "jupyter" / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "groomwatch (test)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return KERNEL


def test_every_notebook_is_checked() -> None:
    assert [p.stem for p in NOTEBOOKS] == sorted(WRITES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{path.name} has no code"
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel_name: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    for name, value in {
        "GROOMWATCH_NOTEBOOK_FAST": "1",
        "GROOMWATCH_NOTEBOOK_DIR": str(work),
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }.items():
        monkeypatch.setenv(name, value)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, kernel_name=kernel_name, timeout=600, resources={"metadata": {"path": str(work)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = [output for cell in code for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.get("name") == "stdout" for o in outputs), "the notebook printed nothing"
    assert "fast configuration" in "".join(o.get("text", "") for o in outputs)
    assert [name for name in WRITES[path.stem] if not (work / name).is_file()] == []
    if path.stem == "03_early_warning":
        assert any("image/png" in o.get("data", {}) for o in outputs), "no plot of the stream"
