"""Author level (PAN12 task 1): one row per author, truth from the participants' offender flag."""

import json

from groomwatch.cli import main


def test_author_level_scores_each_author_once_with_offender_truth(tmp_path, records, csv_file):
    # the same adult "a-shared" is an offender in one conversation only: still an offender
    data = records([{"cid": "c1", "label": 1}, {"cid": "c2", "label": 0}])
    lines = (tmp_path / "test.jsonl").read_text().replace("a-c2", "a-c1").replace("c-c2", "c-c1")
    data.write_text(lines)
    predictions = csv_file("conversation_id,author_id,score", [
        ("c1", "a-c1", 0.9), ("c1", "c-c1", 0.2), ("c2", "a-c1", 0.3), ("c2", "c-c1", 0.6)])
    out = tmp_path / "authors"
    code = main(["assess", "-p", str(predictions), "-d", str(data), "-o", str(out),
                 "--level", "author", "--threshold", "0.5", "--resamples", "20"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["level"] == "author" and report["bootstrap"]["unit"] == "author"
    assert report["n"] == 2 and report["n_positive"] == 1
    # the offender's highest score 0.9 is flagged; the child's highest 0.6 is a false positive
    assert report["confusion"] == {"tp": 1, "fp": 1, "tn": 0, "fn": 0}
    assert report["provenance"]["inputs"][0]["count"] == 4  # prediction rows, not authors
    assert main(["assess", "--reproduce", str(out)]) == 0


def test_author_level_needs_author_rows(tmp_path, records, csv_file, capsys):
    data = records([{"cid": "c1", "label": 1}])
    predictions = csv_file("conversation_id,score", [("c1", 0.9)])
    code = main(["assess", "-p", str(predictions), "-d", str(data), "-o", str(tmp_path / "o"),
                 "--level", "author", "--threshold", "0.5"])
    assert code == 2 and "needs an author_id column" in capsys.readouterr().err


def test_unknown_author_is_reported(tmp_path, records, csv_file, capsys):
    data = records([{"cid": "c1", "label": 1}])
    predictions = csv_file("conversation_id,author_id,score",
                           [("c1", "a-c1", 0.9), ("c1", "c-c1", 0.1), ("c1", "ghost", 0.5)])
    code = main(["assess", "-p", str(predictions), "-d", str(data), "-o", str(tmp_path / "o"),
                 "--level", "author", "--threshold", "0.5"])
    assert code == 2 and "1 conversation_id/author_id pair(s) not in the data, e.g. c1/ghost" \
        in capsys.readouterr().err
