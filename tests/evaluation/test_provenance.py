"""Provenance: report.json names the exact bytes it was computed from, and can be re-checked."""

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from groomwatch.cli import main
from groomwatch.data.record import Conversation
from groomwatch.models.registry import create_detector
from tests.evaluation.conftest import conversation, write_csv, write_jsonl
from tests.evaluation.test_model_assessment import record

LIBRARIES = {"numpy", "scipy", "scikit-learn", "pandas", "fairlearn"}


def sha256sum(path: Path) -> str:
    """The digest as the coreutils tool prints it (hashlib when the tool is absent)."""
    tool = shutil.which("sha256sum")
    if tool is None:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return subprocess.run([tool, str(path)], capture_output=True, text=True,
                          check=True).stdout.split()[0]


def leaves(node) -> int:
    if isinstance(node, dict):
        return sum(leaves(v) for v in node.values())
    if isinstance(node, list):
        return sum(leaves(v) for v in node)
    return 1


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A checkout-like directory: data/ with its card, predictions/, reports/; cwd set to it."""
    rng = np.random.default_rng(5)
    labels = (rng.random(50) < 0.3).astype(int)
    (tmp_path / "data").mkdir()
    (tmp_path / "predictions").mkdir()
    write_jsonl(tmp_path / "data" / "test.jsonl",
                [conversation(f"c{i}", int(v), language="en" if i % 2 else "de")
                 for i, v in enumerate(labels)])
    (tmp_path / "data" / "README.md").write_text("# Dataset card: hand-made\n")
    write_csv(tmp_path / "predictions" / "good.csv", "conversation_id,score", [
        (f"c{i}", round(float(np.clip(0.25 + 0.5 * v + rng.normal(0, 0.15), 0, 1)), 3))
        for i, v in enumerate(labels)])
    write_csv(tmp_path / "predictions" / "poor.csv", "conversation_id,score", [
        (f"c{i}", round(float(rng.random()), 3)) for i in range(len(labels))])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assess(*extra: str, predictions: str = "predictions/good.csv",
           data: str = "data/test.jsonl", out: str = "reports/good") -> int:
    return main(["assess", "-p", predictions, "-d", data, "-o", out, "--threshold", "0.5",
                 "--resamples", "60", "--seed", "3", *extra])


def test_provenance_hashes_sizes_and_counts_match_the_files(workdir):
    assert assess("--group-by", "language") == 0
    report = json.loads((workdir / "reports/good/report.json").read_text())
    block = report["provenance"]
    inputs = {i["role"]: i for i in block["inputs"]}
    assert set(inputs) == {"predictions", "data", "data_card"}
    expected = (("predictions", "predictions/good.csv", 50), ("data", "data/test.jsonl", 50),
                ("data_card", "data/README.md", None))
    for role, name, count in expected:
        path = workdir / name
        assert inputs[role]["path"] == name
        assert inputs[role]["sha256"] == sha256sum(path)
        assert inputs[role]["bytes"] == path.stat().st_size
        assert inputs[role]["count"] == count
    assert block["options"]["seed"] == 3 and block["options"]["resamples"] == 60
    assert block["options"]["group_by"] == ["language"]
    assert block["command"] == ("groomwatch assess --predictions predictions/good.csv "
                                "--data data/test.jsonl --out reports/good --threshold 0.5 "
                                "--group-by language --resamples 60 --seed 3")
    assert set(block["libraries"]) == LIBRARIES
    assert block["libraries"]["numpy"] == np.__version__
    html = (workdir / "reports/good/report.html").read_text()
    digest = inputs["data"]["sha256"]
    assert f'title="{digest}">{digest[:12]}…' in html
    assert digest in (workdir / "reports/good/report.md").read_text()


def test_reproduce_passes_on_an_untouched_report(workdir, capsys):
    assert assess("--group-by", "language") == 0
    report = json.loads((workdir / "reports/good/report.json").read_text())
    capsys.readouterr()
    assert main(["assess", "--reproduce", "reports/good"]) == 0
    out = capsys.readouterr().out
    expected = leaves(report) - leaves(report["provenance"]) - 2  # generated_at, version
    assert f"reproduced: {expected} figures equal" in out
    items = workdir / "reports/good/items.csv"
    items.write_text(items.read_text().replace(",True\n", ",False\n", 1))
    assert main(["assess", "--reproduce", "reports/good"]) == 1
    assert "items.csv: the per-item scores and decisions differ" in capsys.readouterr().out


def test_reproduce_names_the_prediction_file_that_changed(workdir, capsys):
    assert assess() == 0
    csv = workdir / "predictions/good.csv"
    lines = csv.read_text().splitlines()
    cid, score = lines[5].split(",")
    lines[5] = f"{cid},{1 - float(score):.3f}"
    csv.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["assess", "--reproduce", "reports/good"]) == 1
    out = capsys.readouterr().out
    assert "not reproduced: 1 input file(s) changed" in out
    assert "predictions predictions/good.csv: SHA-256 was" in out
    assert "data/test.jsonl" not in out


def test_reproduce_names_the_figure_edited_in_report_json(workdir, capsys):
    assert assess() == 0
    path = workdir / "reports/good/report.json"
    report = json.loads(path.read_text())
    true_value = report["scores"]["roc_auc"]["ci_low"]
    report["scores"]["roc_auc"]["ci_low"] = round(true_value - 0.01, 6)
    path.write_text(json.dumps(report, indent=2))
    capsys.readouterr()
    assert main(["assess", "--reproduce", "reports/good"]) == 1
    out = capsys.readouterr().out
    assert "not reproduced: 1 figure(s) differ" in out
    assert f"scores.roc_auc.ci_low: report has {round(true_value - 0.01, 6)!r}, " \
           f"the re-run gives {true_value!r}" in out


def test_a_missing_input_is_a_user_error_naming_it(workdir, capsys):
    assert assess() == 0
    (workdir / "data/README.md").unlink()
    capsys.readouterr()
    assert main(["assess", "--reproduce", "reports/good"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "data/README.md (data_card)" in err


def test_reproduce_takes_no_other_option_and_needs_provenance(workdir, capsys):
    assert assess() == 0
    assert main(["assess", "--reproduce", "reports/good", "--seed", "4"]) == 2
    assert "give no other option (got --seed)" in capsys.readouterr().err
    path = workdir / "reports/good/report.json"
    report = json.loads(path.read_text())
    del report["provenance"]["options"]["seed"]
    path.write_text(json.dumps(report))
    assert main(["assess", "--reproduce", "reports/good"]) == 2
    assert "schema at provenance/options: 'seed' is a required property" in \
        capsys.readouterr().err
    report["provenance"] = None
    path.write_text(json.dumps(report))
    assert main(["assess", "--reproduce", "reports/good"]) == 2
    assert "no provenance" in capsys.readouterr().err


def test_each_report_of_a_two_technology_run_reproduces_and_compare_records_provenance(
        workdir, capsys):
    assert assess("-p", "predictions/poor.csv", out="reports/ab") == 0
    comparison = json.loads((workdir / "reports/ab/comparison.json").read_text())
    block = comparison["provenance"]
    assert block["same_data"] is True
    assert set(block["reports"]) == {"good", "poor"}
    assert block["reports"]["poor"]["options"]["predictions"] == ["predictions/poor.csv"]
    recorded = {i["path"]: i["sha256"] for i in block["inputs"]}
    assert recorded["reports/ab/good/items.csv"] == sha256sum(workdir / "reports/ab/good/items.csv")
    capsys.readouterr()
    assert main(["assess", "--reproduce", "reports/ab/poor"]) == 0
    assert "reproduced: " in capsys.readouterr().out
    assert main(["assess", "--reproduce", "reports/ab"]) == 2
    assert "reproduce each report it holds: reports/ab/good, reports/ab/poor" in \
        capsys.readouterr().err


def test_compare_refuses_reports_on_different_labelled_data(workdir, capsys):
    text = (workdir / "data/test.jsonl").read_text()
    (workdir / "data/copy.jsonl").write_text(text)  # the same bytes elsewhere: allowed
    (workdir / "data/other.jsonl").write_text(text.replace("message 1", "message one"))
    assert assess(out="reports/a") == 0
    assert assess(predictions="predictions/poor.csv", data="data/copy.jsonl", out="reports/b") == 0
    assert assess(predictions="predictions/poor.csv", data="data/other.jsonl",
                  out="reports/c") == 0
    capsys.readouterr()
    assert main(["compare", "reports/a", "reports/b", "--resamples", "50"]) == 0
    assert main(["compare", "reports/a", "reports/c", "--resamples", "50"]) == 2
    err = capsys.readouterr().err
    assert "different labelled data" in err and "data/other.jsonl" in err
    assert "--allow-different-data" in err
    assert main(["compare", "reports/a", "reports/c", "--resamples", "50", "--out", "ac",
                 "--allow-different-data"]) == 0
    comparison = json.loads((workdir / "ac/comparison.json").read_text())
    assert comparison["provenance"]["same_data"] is False
    assert comparison["provenance"]["reports"]["c"]["inputs"][1]["path"] == "data/other.jsonl"
    assert "Warning: the two reports were not shown" in (workdir / "ac/comparison.md").read_text()


def test_a_model_report_records_every_model_file_and_notices_changes(tmp_path, capsys):
    rng = np.random.default_rng(1)
    convs = [record(f"x{i}", int(i % 3 == 0), rng) for i in range(75)]
    train = [Conversation.from_dict(r) for r in convs[:45]]
    model = tmp_path / "model"
    create_detector("tfidf-lr", min_df=1).fit(train[:30], train[30:]).save(model)
    (model / "MODEL_CARD.md").write_text("# Model card: hand-made\n")
    data = write_jsonl(tmp_path / "test.jsonl", convs[45:])
    out = tmp_path / "report"
    assert main(["assess", "--model", str(model), "-d", str(data), "-o", str(out),
                 "--perturb", "typos", "--resamples", "30"]) == 0
    block = json.loads((out / "report.json").read_text())["provenance"]
    files = sorted(p for p in model.rglob("*") if p.is_file())
    recorded = {i["path"]: i for i in block["inputs"] if i["role"].startswith("model")}
    assert sorted(recorded) == sorted(str(p) for p in files)
    assert all(recorded[str(p)]["sha256"] == sha256sum(p) for p in files)
    assert recorded[str(model / "MODEL_CARD.md")]["role"] == "model_card"
    assert block["options"]["threshold"] is None and block["options"]["perturb"] == ["typos"]
    capsys.readouterr()
    assert main(["assess", "--reproduce", str(out)]) == 0
    (model / "notes.txt").write_text("added later\n")
    assert main(["assess", "--reproduce", str(out)]) == 1
    assert f"model_file {model / 'notes.txt'}: added since" in capsys.readouterr().out


def test_help_documents_reproduce_and_the_exit_codes(capsys):
    assert main(["assess", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--reproduce" in text and "Exit codes: 0 done" in text and "2 a user error" in text
