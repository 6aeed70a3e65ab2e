"""Config: defaults work, YAML sets knobs, and mistakes get a clear ConfigError."""

from __future__ import annotations

import pytest

from groomwatch.data.synth.config import SynthConfig, config_from_dict, load_config
from groomwatch.errors import ConfigError


def test_yaml_sets_nested_knobs_and_overrides_win(tmp_path):
    path = tmp_path / "synth.yaml"
    path.write_text("n: 50\nlanguages: de,pl\nnoise:\n  typos: 0.0\nplatforms:\n  game_chat: 2\n")
    config = load_config(path, n=60)
    assert config.n == 60
    assert config.languages == ["de", "pl"]
    assert config.noise.typos == 0.0
    assert config.platforms == {"game_chat": 2}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sizes": 3}, "unknown config key sizes"),
        ({"noise": {"typo": 0.1}}, "unknown config key noise.typo"),
        ({"languages": ["en", "xx"]}, "unknown language 'xx'"),
        ({"prevalence": 1.5}, "prevalence must be between 0 and 1"),
        ({"n": "many"}, "n must be a whole number"),
        ({"split": [0.5, 0.5]}, "split must be three"),
        ({"scenarios": {"picnic": 1}}, "unknown scenarios entry 'picnic'"),
        ({"strategies": {"gifts": -1}}, "strategies.gifts must be a non-negative number"),
        ({"noise": {"emoji": 2}}, "noise.emoji must be between 0 and 1"),
        ({"min_messages": 10, "max_messages": 5}, "min_messages"),
    ],
)
def test_bad_values_name_the_problem(data, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(data)


def test_bad_yaml_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("n: [1,\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: not valid YAML"):
        load_config(path)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "absent.yaml")


def test_defaults_are_valid():
    assert SynthConfig().n == 5000


def test_shipped_configs_load():
    """The configs shipped beside the generator (the real-transfer benchmark's English set)."""
    from pathlib import Path

    import groomwatch.data.synth as synth

    shipped = sorted((Path(synth.__file__).parent / "configs").glob("*.yaml"))
    assert shipped
    for path in shipped:
        config = load_config(path)
        assert config.n >= 1000 and config.languages
