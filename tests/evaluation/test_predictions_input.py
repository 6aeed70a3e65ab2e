"""Bad predictions files get one clear error (exit 2) that counts and shows the problems."""

import json
from pathlib import Path

import pytest

from groomwatch.cli import main

ROWS = [("c1", 1, "en"), ("c2", 0, "en"), ("c3", 0, "de")]


def run_assess(capsys, predictions: Path, data: Path, out: Path, *extra: str) -> tuple[int, str]:
    code = main(["assess", "-p", str(predictions), "-d", str(data), "-o", str(out),
                 "--resamples", "0", *extra])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("header", "rows", "expected"),
    [
        ("conversation_id,score", [("c1", 0.9), ("c2", "high"), ("c3", "")],
         "2 row(s) have a score that is not a number, e.g. line 3 ('high'), line 4 ('')"),
        ("conversation_id,score", [("c1", 0.9), ("c2", 0.1), ("c3", 0.2), ("c2", 0.3)],
         "1 row(s) repeat a conversation_id seen before, e.g. line 5 ('c2')"),
        ("conversation_id,score", [("c1", 0.9), ("c2", 1.5), ("c3", -1)],
         "2 row(s) have a score outside [0, 1]"),
        ("conversation_id,score", [("c1", 0.9), ("c2", 0.1)],
         "1 conversation_id(s) of the data have no prediction, e.g. c3"),
        ("conversation_id,score", [("c1", 0.9), ("c2", 0.1), ("c3", 0.2), ("x9", 0.3), ("x8", 0)],
         "2 conversation_id(s) not in the data, e.g. x8, x9"),
        ("id,probability", [("c1", 0.9)], "missing column(s) conversation_id, score"),
        ("conversation_id,score,flag", [("c1", 0.9, "maybe"), ("c2", 0.1, 0), ("c3", 0.2, 1)],
         "1 row(s) have a flag that is not 0/1/true/false"),
        ("conversation_id,score,warning_at", [("c1", 0.9, 99), ("c2", 0.1, ""), ("c3", 0.2, "")],
         "1 warning_at value(s) exceed the conversation's message count"),
    ],
)
def test_bad_predictions_are_counted_and_shown(
    tmp_path, labelled, csv_file, capsys, header, rows, expected
):
    predictions = csv_file(header, rows)
    code, err = run_assess(capsys, predictions, labelled(ROWS), tmp_path / "out", "--threshold",
                           "0.5")
    assert code == 2
    assert err.startswith("error: ")
    assert expected in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "report.json").exists()


def test_empty_file_and_missing_file_are_clear_errors(tmp_path, labelled, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, err = run_assess(capsys, empty, labelled(ROWS), tmp_path / "out")
    assert code == 2 and "not a readable CSV" in err
    code, err = run_assess(capsys, tmp_path / "nope.csv", labelled(ROWS), tmp_path / "out")
    assert code == 2 and "no such file" in err


def test_scores_on_another_scale_are_accepted_with_the_flag_column(
    tmp_path, labelled, csv_file, capsys
):
    rows = [("c1", 7.5, 1), ("c2", -2, 0), ("c3", 3, 1)]
    predictions = csv_file("conversation_id,score,flag", rows)
    code, _ = run_assess(capsys, predictions, labelled(ROWS), tmp_path / "out")
    assert code == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["calibration"] is None
    assert report["confusion"] == {"tp": 1, "fp": 1, "tn": 1, "fn": 0}


def test_unknown_group_field_is_a_config_error(tmp_path, labelled, csv_file, capsys):
    predictions = csv_file("conversation_id,score", [("c1", 0.9), ("c2", 0.1), ("c3", 0.2)])
    code, err = run_assess(capsys, predictions, labelled(ROWS), tmp_path / "out",
                           "--threshold", "0.5", "--group-by", "shoe_size")
    assert code == 2 and "shoe_size" in err
