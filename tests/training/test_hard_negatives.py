"""Hard-negative thresholds: the FPR target on a named subset, per-source rates in the card,
source weights in training."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from groomwatch.data.io import load_split, write_conversations
from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.errors import ConfigError, InputError
from groomwatch.training.card import CARD_JSON, CARD_MD, by_source
from groomwatch.training.config import ThresholdPolicy, config_from_dict
from groomwatch.training.run import pick_threshold, source_weights, train


def _record(i: int, label: int, source: str) -> Conversation:
    return Conversation(
        conversation_id=f"c{i}",
        participants=[Participant(author_id="a")],
        messages=[Message(author_id="a", text="hi")],
        label=label,
        source=source,
    )


def _validation(seed: int = 0) -> tuple[list[Conversation], np.ndarray, np.ndarray]:
    """Easy negatives score low, hard ones (nps) overlap the positives."""
    rng = np.random.default_rng(seed)
    kinds = [(1, "pj", 0.8, 100), (0, "chitchat", 0.1, 300), (0, "nps", 0.55, 200)]
    records, scores = [], []
    for label, source, centre, n in kinds:
        for _ in range(n):
            records.append(_record(len(records), label, source))
            scores.append(float(np.clip(rng.normal(centre, 0.12), 0, 1)))
    return records, np.array([r.label for r in records]), np.array(scores)


def test_subset_policy_holds_the_fpr_on_the_named_negatives_only():
    records, y, scores = _validation()
    nps = np.array([r.source == "nps" for r in records])
    everyone = pick_threshold(ThresholdPolicy(target_fpr=0.01), records, y, scores)
    subset = ThresholdPolicy(target_fpr=0.01, on={"source": "nps"})
    hard = pick_threshold(subset, records, y, scores)
    # on all negatives the easy ones dilute the FPR, so the hard source is flagged far more
    assert np.mean(scores[nps] >= everyone) > 0.01
    assert np.mean(scores[nps] >= hard) <= 0.01
    assert hard > everyone
    # a list of values and the same subset spelled as a list agree
    as_list = ThresholdPolicy(target_fpr=0.01, on={"source": ["nps"]})
    assert pick_threshold(as_list, records, y, scores) == hard
    assert "source nps" in subset.describe()


def test_subset_policy_without_such_negatives_is_an_input_error():
    records, y, scores = _validation()
    with pytest.raises(InputError, match="source reddit"):
        pick_threshold(ThresholdPolicy(on={"source": "reddit"}), records, y, scores)


def test_by_source_reports_each_sources_fpr_and_recall_at_its_own_target():
    records, y, scores = _validation()
    threshold = 0.5
    table = by_source(records, y, scores, threshold, ThresholdPolicy(target_fpr=0.01))
    assert set(table["negatives"]) == {"chitchat", "nps"}
    nps = np.array([r.source == "nps" for r in records])
    fpr = table["negatives"]["nps"]["fpr"]
    assert fpr["trials"] == 200
    assert fpr["successes"] == int(np.sum(scores[nps] >= threshold))
    assert fpr["low"] <= fpr["value"] <= fpr["high"]
    # holding the hard source at 1% costs recall; holding the easy one costs nothing
    hard = table["negatives"]["nps"]["recall_at_target_fpr"]["recall"]
    easy = table["negatives"]["chitchat"]["recall_at_target_fpr"]["recall"]
    assert hard < easy
    assert table["positives"]["pj"]["trials"] == 100


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ({"threshold": {"on": {"colour": "red"}}}, "'colour'"),
        ({"threshold": {"on": {"source": 3}}}, "threshold.on.source"),
        ({"threshold": {"on": {"source": []}}}, "threshold.on.source"),
        ({"source_weights": {"nps": 0}}, "source_weights.nps"),
        ({"source_weights": {"nps": "3"}}, "source_weights.nps"),
    ],
)
def test_bad_subset_or_weights_raise_config_error(raw, names):
    with pytest.raises(ConfigError, match=names):
        config_from_dict({"model": "tfidf-lr", **raw}, "my.yaml")


def test_source_weights_give_one_weight_per_conversation():
    records = [_record(0, 1, "pj"), _record(1, 0, "nps"), _record(2, 0, "chitchat")]
    assert source_weights({}, records) is None
    np.testing.assert_array_equal(source_weights({"nps": 3}, records), [1, 3, 1])


def _with_sources(data_dir: Path, out: Path) -> Path:
    """The synthetic splits with every other negative relabelled as a second source."""
    out.mkdir()
    for name in ("train", "validation", "test"):
        records = load_split(data_dir, name)
        negatives = [i for i, c in enumerate(records) if c.label == 0]
        for i in negatives[::2]:
            records[i] = dataclasses.replace(records[i], source="hard")
        write_conversations(out / f"{name}.jsonl", records)
    return out


def test_run_sets_the_threshold_on_the_subset_and_the_card_shows_each_source(
    small_config, data_dir, tmp_path, mlflow_uri
):
    data = _with_sources(data_dir, tmp_path / "data")
    config = small_config(data, tmp_path / "model")
    config = dataclasses.replace(
        config,
        threshold=ThresholdPolicy(target_fpr=0.05, on={"source": "hard"}),
        source_weights={"hard": 3.0},
    )
    result = train(config)
    card = json.loads((result.out_dir / CARD_JSON).read_text())
    negatives = card["validation_by_source"]["negatives"]
    assert "hard" in negatives and len(negatives) == 2
    assert negatives["hard"]["fpr"]["value"] <= 0.05
    validation = load_split(data, "validation")
    hard = [c for c in validation if c.source == "hard"]
    assert negatives["hard"]["fpr"]["trials"] == len(hard)
    assert "source hard" in card["threshold"]["how_chosen"]
    assert "Validation by source" in (result.out_dir / CARD_MD).read_text()
