"""The `groomwatch synth` command writes the splits and the dataset card, or a clear error."""

from __future__ import annotations

from groomwatch.cli import main
from groomwatch.data.io import load_split


def test_writes_grouped_splits_and_card(tmp_path):
    out = tmp_path / "synth"
    code = main(
        [
            "synth",
            "--n",
            "600",
            "--prevalence",
            "0.2",
            "--languages",
            "en,fr",
            "--seed",
            "3",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    splits = {name: load_split(out, name) for name in ("train", "validation", "test")}
    assert sum(len(s) for s in splits.values()) == 600
    offenders = [{a for c in s for a in c.offender_ids} for s in splits.values()]
    assert not (
        offenders[0] & offenders[1] or offenders[0] & offenders[2] or offenders[1] & offenders[2]
    )
    assert {c.language for s in splits.values() for c in s} == {"en", "fr"}
    card = (out / "README.md").read_text()
    for section in (
        "## Splits",
        "## Label balance by language",
        "## Stages",
        "## Lengths",
        "## Platforms",
        "## Shortcut audit",
        "ROC-AUC",
        "seed: 3",
    ):
        assert section in card


def test_config_file_is_used(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("n: 120\nprevalence: 0.25\nlanguages: [nl]\nseed: 4\n")
    out = tmp_path / "out"
    assert main(["synth", "--config", str(config), "--out", str(out)]) == 0
    convs = [c for name in ("train", "validation", "test") for c in load_split(out, name)]
    assert len(convs) == 120 and sum(c.label for c in convs) == 30
    assert {c.language for c in convs} == {"nl"}


def test_bad_config_is_a_clear_error(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("n: 100\nprevalance: 0.2\n")
    assert main(["synth", "--config", str(config), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "unknown config key prevalance" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_bad_option_is_a_clear_error(tmp_path, capsys):
    assert main(["synth", "--languages", "en,klingon", "--out", str(tmp_path / "o")]) == 2
    assert "unknown language 'klingon'" in capsys.readouterr().err


def test_small_run_reports_the_audit_as_inconclusive(tmp_path, capsys):
    assert main(["synth", "--n", "300", "--seed", "2", "--out", str(tmp_path / "s")]) == 0
    err = capsys.readouterr().err
    assert "shortcut audit inconclusive" in err and "FAILED" not in err
    assert "inconclusive (the test split holds" in (tmp_path / "s" / "README.md").read_text()
