"""Training configs: shipped ones load, mistakes fail fast with a message naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from groomwatch.cli import main
from groomwatch.errors import ConfigError
from groomwatch.models.registry import DETECTORS
from groomwatch.training.config import (
    config_from_dict,
    load_config,
    shipped_config_for,
    shipped_configs,
)


def test_every_shipped_config_loads_and_names_a_known_detector():
    names = shipped_configs()
    assert {"tfidf", "tfidf-real", "static-real", "embedding", "embedding-real", "static",
            "finetune", "exemplar", "ensemble-real"} <= set(names)
    models = {load_config(name).model for name in names}
    assert models == set(DETECTORS)


def test_config_by_path_equals_config_by_name(tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"model": "tfidf-lr", "seed": 4, "params": {"C": 2.0}}))
    mine = load_config(path)
    assert (mine.model, mine.seed, mine.params) == ("tfidf-lr", 4, {"C": 2.0})
    assert mine.out_dir == Path("models/tfidf-lr")
    assert shipped_config_for("tfidf-lr").stem == "tfidf"


@pytest.mark.parametrize("detector", DETECTORS)
def test_a_detector_name_selects_the_shipped_config_that_trains_it(detector):
    # `--config tfidf-lr` and `--config tfidf` are the same run: the naming is no trap.
    config = load_config(detector)
    assert config.model == detector
    assert config == load_config(shipped_config_for(detector).stem)


def test_overrides_replace_file_values_and_none_keeps_them():
    config = load_config("tfidf").with_overrides(seed=99, data=Path("elsewhere"), out=None)
    assert config.seed == 99
    assert config.data == Path("elsewhere")
    assert config.out_dir == load_config("tfidf").out_dir


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ({"model": "tfidf-lr", "epochs": 3}, "'epochs'"),
        ({"model": "tfidf-lr", "threshold": {"target": 0.1}}, "'target'"),
        ({"model": "nope"}, "'nope'"),
        ({"seed": 1}, "'model'"),
        ({"model": "tfidf-lr", "seed": -1}, "seed"),
        ({"model": "tfidf-lr", "seed": "7"}, "seed"),
        ({"model": "tfidf-lr", "threshold": {"target_fpr": 1.5}}, "target_fpr"),
        ({"model": "tfidf-lr", "threshold": {"policy": "best"}}, "threshold.policy"),
        ({"model": "tfidf-lr", "params": [1, 2]}, "params"),
        ({"model": "tfidf-lr", "bootstrap": 5}, "bootstrap"),
        (["model", "tfidf-lr"], "mapping"),
    ],
)
def test_bad_config_raises_config_error_naming_the_problem(raw, names):
    with pytest.raises(ConfigError) as info:
        config_from_dict(raw, "my.yaml")
    assert "my.yaml" in str(info.value)
    assert names in str(info.value)


def test_cli_bad_config_prints_one_error_line_and_exits_2(tmp_path: Path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("model: tfidf-lr\nlearning_rate: 3\n")
    assert main(["train", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "learning_rate" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--config", "no-such-config"], "tfidf-lr"),
        (["--config", "tfidf", "--model", "exemplar"], "drop --model"),
        (["--model", "no-such-model"], "no-such-model"),
    ],
)
def test_cli_config_choice_errors_exit_2(args, says, capsys):
    assert main(["train", *args]) == 2
    assert says in capsys.readouterr().err


def test_bad_detector_params_fail_before_data_is_read(tmp_path: Path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("model: tfidf-lr\nparams: {min_df: 0}\ndata: /no/such/dir\n")
    assert main(["train", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "min_df" in err and "/no/such/dir" not in err


@pytest.mark.parametrize("name", shipped_configs())
def test_shipped_config_params_are_accepted_by_its_detector(name):
    import importlib.util

    from groomwatch.training.run import build_detector

    config = load_config(name)
    module = DETECTORS[config.model].split(":")[0]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not written yet")
    detector = build_detector(config)
    params = detector.get_params()
    assert {k: params[k] for k in config.params} == config.params
    assert params.get("seed", config.seed) == config.seed


def test_a_bare_yaml_on_key_is_the_threshold_subset(tmp_path: Path):
    # YAML 1.1 reads `on:` as the boolean true; the config still means the subset
    path = tmp_path / "real.yaml"
    path.write_text("model: tfidf-lr\nthreshold:\n  on: {source: nps}\n")
    assert load_config(path).threshold.on == {"source": "nps"}
    assert load_config("tfidf-real").threshold.on == {"source": "nps"}
