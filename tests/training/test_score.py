"""`groomwatch score` and `predict`: the predictions format the assessment stage reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from groomwatch.cli import main
from groomwatch.data.io import load_split
from groomwatch.models.early_warning import EarlyWarning
from groomwatch.models.registry import load_detector
from groomwatch.training.predict import predict


def _score(trained, data: Path, tmp_path: Path, *flags: str) -> pd.DataFrame:
    out = tmp_path / "predictions.csv"
    args = ["score", "--model", str(trained.result.out_dir), "--data", str(data), "--out", str(out)]
    assert main([*args, "--batch-size", "7", *flags]) == 0
    return pd.read_csv(out, keep_default_na=False, dtype={"conversation_id": str})


def test_score_writes_one_row_per_conversation_with_flags_at_the_threshold(
    trained, data_dir, tmp_path
):
    test = load_split(data_dir, "test")
    frame = _score(trained, data_dir / "test.jsonl", tmp_path)
    assert list(frame.columns) == ["conversation_id", "score", "flag"]
    assert list(frame["conversation_id"]) == [c.conversation_id for c in test]
    detector = load_detector(trained.result.out_dir)
    np.testing.assert_allclose(frame["score"], detector.predict_proba(test), atol=1e-12)
    assert (frame["flag"] == (frame["score"] >= detector.threshold)).all()
    assert 0 < frame["flag"].sum() < len(frame)


def test_score_authors_gives_each_participant_a_row(trained, data_dir, tmp_path):
    test = load_split(data_dir, "test")
    frame = _score(trained, data_dir / "test.jsonl", tmp_path, "--authors")
    assert list(frame.columns) == ["conversation_id", "author_id", "score", "flag"]
    assert len(frame) == sum(len(c.participants) for c in test)
    offenders = {a for c in test for a in c.offender_ids}
    is_offender = frame["author_id"].isin(offenders)
    # the groomer's own messages carry the signal: offenders outscore their targets
    assert frame.loc[is_offender, "score"].mean() > frame.loc[~is_offender, "score"].mean() + 0.1


def test_score_early_reports_the_message_where_the_warning_fired(trained, data_dir, tmp_path):
    test = load_split(data_dir, "test")
    frame = _score(trained, data_dir / "test.jsonl", tmp_path, "--early", "--early-s", "2")
    assert list(frame.columns) == ["conversation_id", "score", "flag", "warning_at"]
    rule = EarlyWarning(load_detector(trained.result.out_dir), s=2)
    expected = [rule.run(c).warning_at for c in test]
    assert [None if v == "" else int(v) for v in frame["warning_at"]] == expected
    assert "" in set(frame["warning_at"]) and len(set(frame["warning_at"])) > 2


def test_predict_authors_and_early_together(trained, data_dir):
    detector = load_detector(trained.result.out_dir)
    test = load_split(data_dir, "test")[:10]
    frame = predict(detector, test, authors=True, early=True)
    assert list(frame.columns) == ["conversation_id", "author_id", "score", "flag", "warning_at"]
    assert frame["warning_at"].dtype == "Int64"
    per_conversation = frame.groupby("conversation_id")["warning_at"].nunique(dropna=False)
    assert (per_conversation == 1).all()


def test_predict_of_no_conversations_is_an_empty_frame(trained):
    frame = predict(load_detector(trained.result.out_dir), [])
    assert list(frame.columns) == ["conversation_id", "score", "flag"] and frame.empty


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"conversation_id": "x"}\n', "participants"),
        ("not json\n", "not valid JSON"),
    ],
)
def test_score_bad_input_exits_2_and_writes_nothing(trained, tmp_path, capsys, content, says):
    data = tmp_path / "bad.jsonl"
    data.write_text(content)
    out = tmp_path / "predictions.csv"
    code = main(["score", "--model", str(trained.result.out_dir), "--data", str(data),
                 "--out", str(out)])
    assert code == 2
    assert says in capsys.readouterr().err
    assert not out.exists()


def test_score_refuses_duplicate_conversation_ids(trained, data_dir, tmp_path, capsys):
    data = tmp_path / "twice.jsonl"
    line = (data_dir / "test.jsonl").read_text().splitlines()[0]
    data.write_text(f"{line}\n{line}\n")
    code = main(["score", "--model", str(trained.result.out_dir), "--data", str(data),
                 "--out", str(tmp_path / "p.csv")])
    assert code == 2 and "appears twice" in capsys.readouterr().err


def test_score_with_a_missing_model_exits_2(data_dir, tmp_path, capsys):
    code = main(["score", "--model", str(tmp_path), "--data", str(data_dir / "test.jsonl")])
    assert code == 2 and "not a saved detector" in capsys.readouterr().err
