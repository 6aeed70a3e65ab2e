"""End to end through the CLI: the report files, the schema, the plain-words summary."""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from groomwatch.cli import main
from groomwatch.errors import GroomwatchError
from groomwatch.evaluation.schema import report_schema, schema_markdown, validate_report


@pytest.fixture
def assessed(tmp_path, records, csv_file):
    """40 conversations in two languages; German has no grooming conversation at all."""
    rng = np.random.default_rng(2)
    specs, rows = [], []
    for i in range(40):
        language = "de" if i >= 30 else "en"
        label = int(i % 3 == 0) if language == "en" else 0
        specs.append({"cid": f"c{i}", "label": label, "language": language, "n_messages": 8,
                      "meta": {"age_band": "13-15" if i % 2 else "16-17"}})
        score = float(np.clip(0.3 + 0.5 * label + rng.normal(0, 0.15), 0, 1))
        rows.append((f"c{i}", round(score, 3), int(i % 5 == 0 and label) or None))
    data = records(specs)
    predictions = csv_file("conversation_id,score,warning_at",
                           [(c, s, w if s >= 0.5 else None) for c, s, w in rows])
    out = tmp_path / "report"
    code = main(["assess", "-p", str(predictions), "-d", str(data), "-o", str(out),
                 "--threshold", "0.5", "--group-by", "language,age_band", "--resamples", "50"])
    assert code == 0
    return out


def test_assess_writes_the_three_reports_and_the_json_matches_its_schema(assessed):
    report = json.loads((assessed / "report.json").read_text())
    jsonschema.validate(report, report_schema())
    assert report["n"] == 40 and report["threshold"]["value"] == 0.5
    c = report["confusion"]
    assert c["tp"] + c["fp"] + c["tn"] + c["fn"] == 40
    assert report["bootstrap"] == {"n_resamples": 50, "seed": 0, "confidence": 0.95,
                                   "unit": "conversation"}
    german = {g["group"]: g for g in report["by_group"]["language"]["groups"]}["de"]
    assert german["rates"]["fnr"]["value"] is None and german["note"]
    assert report["early_detection"]["n_warned"] > 0
    html = (assessed / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 6
    assert "innocent conversations a day" in html
    assert "<script" not in html and "http" not in html.split("<body>")[1].split("schema")[0]
    md = (assessed / "report.md").read_text()
    assert "| False positive rate (innocent flagged) |" in md


def test_regulatory_summary_keeps_false_positive_figures_apart_and_never_says_accuracy(assessed):
    report = json.loads((assessed / "report.json").read_text())
    summary = report["regulatory_summary"]
    fp = summary["false_positives"]
    c = report["confusion"]
    assert fp["count"] == c["fp"]
    assert fp["share_of_flags"]["value"] == pytest.approx(c["fp"] / (c["fp"] + c["tp"]))
    assert fp["share_of_items_scanned"]["value"] == pytest.approx(c["fp"] / 40)
    assert summary["human_review"]["required"] is True
    text = " ".join(summary["statements"]).lower()
    assert "accuracy" not in text.replace("not 'accuracy'", "")


def test_schema_is_printed_and_invalid_reports_are_refused(assessed, capsys):
    assert main(["assess", "--schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["properties"]["schema_version"]["const"] == "1.1"
    report = json.loads((assessed / "report.json").read_text())
    validate_report(report)
    report["rates"]["fpr"] = 0.1  # a bare number where an estimate belongs
    with pytest.raises(GroomwatchError, match="rates/fpr"):
        validate_report(report)


def test_field_reference_in_docs_is_generated_from_the_schema():
    docs = Path(__file__).parents[2] / "docs" / "report-fields.md"
    assert docs.read_text(encoding="utf-8") == schema_markdown()


@pytest.mark.parametrize("labels", [[1], [0, 0, 0]])
def test_one_conversation_or_one_class_gives_a_valid_report_with_nulls(labels):
    import pandas as pd

    from groomwatch.evaluation.report import Options, build_report
    from groomwatch.evaluation.threshold import decide

    y = np.array(labels)
    score = np.linspace(0.2, 0.8, len(y))
    items = pd.DataFrame({"id": [str(i) for i in range(len(y))], "y": y, "score": score})
    decision = decide(y, score, flag=None, threshold=0.5, target_fpr=None)
    report = build_report(items, decision, Options(n_resamples=20))
    validate_report(report)
    assert report["scores"]["roc_auc"]["value"] is None
    assert any("one class" in note for note in report["notes"])
