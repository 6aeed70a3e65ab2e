"""Cross-fitted thresholds: hard negatives of the training split, scored out of fold, join the
validation split's in setting the threshold (``threshold.cross_fit``).

The data is written by hand so the failure the option exists for happens on purpose: every
chat room of hard negatives uses the grooming words plus words of its own, the one validation
room is an easy one, and new rooms look like the training rooms. A detector learns each
training room's own words, so only scores of rooms it never saw say where new rooms will land.
"""

from __future__ import annotations

import dataclasses
import json
import random

import numpy as np
import pytest

from groomwatch.data.io import load_split
from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.errors import ConfigError, InputError
from groomwatch.training.card import CARD_JSON, CARD_MD
from groomwatch.training.config import ThresholdPolicy, TrainConfig, config_from_dict
from groomwatch.training.run import cross_fitted_negatives, fit_detector, train

GROOMING = ["secret", "alone", "meet", "age", "pics", "parents"]
FILLER = ["hi", "ok", "lol", "yeah", "cool", "sure"]
CHAT = ["movie", "dinner", "work", "game", "music", "weekend"]


def _window(i: int, label: int, source: str, room: str, words: list[str],
            rng: random.Random) -> Conversation:
    lines = [" ".join(rng.choice(words) for _ in range(4)) for _ in range(5)]
    return Conversation(
        conversation_id=f"{room}-{i}",
        participants=[Participant(author_id="a")],
        messages=[Message(author_id="a", text=line) for line in lines],
        label=label,
        source=source,
        meta={"window": {"of": room}},
    )


def _room(name: str, n: int, words: list[str], rng: random.Random) -> list[Conversation]:
    return [_window(i, 0, "nps", name, words, rng) for i in range(n)]


def _hard_room(name: str, n: int, rng: random.Random) -> list[Conversation]:
    """Grooming words, filler and the room's own words (random letters: no two rooms share
    a character n-gram by construction of their names)."""
    own = ["".join(rng.choice("bcdfghjkmnpqrstvwxz") for _ in range(7)) for _ in range(4)]
    return _room(name, n, GROOMING + FILLER + own * 2, rng)


def _splits(seed: int = 0) -> tuple[list[Conversation], list[Conversation], list[Conversation]]:
    rng = random.Random(seed)

    def easy(prefix: str, label: int, source: str, words: list[str], n: int) -> list:
        return [_window(i, label, source, f"{prefix}{i}", words, rng) for i in range(n)]

    train = (easy("p", 1, "pj", GROOMING + FILLER, 60) + easy("c", 0, "chitchat", CHAT + FILLER, 60)
             + [w for r in range(6) for w in _hard_room(f"room{r}", 12, rng)])
    validation = (easy("vp", 1, "pj", GROOMING + FILLER, 20)
                  + easy("vc", 0, "chitchat", CHAT + FILLER, 20)
                  + _room("quiet", 12, [*FILLER, "quietw0", "quietw1"], rng))
    fresh = [w for r in range(3) for w in _hard_room(f"new{r}", 12, rng)]
    return train, validation, fresh


def _config(cross_fit: int) -> TrainConfig:
    return TrainConfig(
        model="tfidf-lr",
        params={"word_ngrams": [1, 1], "char_ngrams": [3, 3], "min_df": 1, "C": 100.0},
        threshold=ThresholdPolicy(target_fpr=0.1, on={"source": "nps"}, cross_fit=cross_fit),
    )


def test_cross_fitted_threshold_holds_the_fpr_on_rooms_no_split_held():
    train, validation, fresh = _splits()
    plain, _, _ = fit_detector(_config(0), train, validation)
    crossed, _, val_scores = fit_detector(_config(3), train, validation)
    # the same fit: cross-fitting only moves the threshold
    np.testing.assert_allclose(plain.predict_proba(validation), val_scores)
    fresh_plain = np.mean(plain.predict_proba(fresh) >= plain.threshold)
    fresh_crossed = np.mean(crossed.predict_proba(fresh) >= crossed.threshold)
    # the easy validation room alone lets most windows of new hard rooms through
    assert fresh_plain > 0.5
    assert fresh_crossed <= 0.25
    assert crossed.threshold > plain.threshold


def test_each_training_negative_is_scored_without_its_room():
    train, validation, _ = _splits()
    negatives, scores = cross_fitted_negatives(_config(3), train, validation)
    assert {c.meta["window"]["of"] for c in negatives} == {f"room{r}" for r in range(6)}
    assert all(c.source == "nps" and c.label == 0 for c in negatives)
    in_sample, _, _ = fit_detector(_config(0), train, validation)
    # scored by a detector that saw the room, the same windows look far safer
    assert np.median(scores) > np.median(in_sample.predict_proba(negatives)) + 0.2


def test_cross_fit_needs_two_groups_of_such_negatives():
    train, validation, _ = _splits()
    single = [c for c in train if c.source != "nps" or c.meta["window"]["of"] == "room1"]
    with pytest.raises(InputError, match="1 group"):
        cross_fitted_negatives(_config(3), single, validation)


@pytest.mark.parametrize(
    ("threshold", "names"),
    [
        ({"cross_fit": 1}, "cross_fit"),
        ({"cross_fit": -2}, "cross_fit"),
        ({"cross_fit": "3"}, "cross_fit"),
        ({"policy": "fixed", "cross_fit": 3}, "cross_fit"),
    ],
)
def test_bad_cross_fit_is_a_config_error(threshold, names):
    with pytest.raises(ConfigError, match=names):
        config_from_dict({"model": "tfidf-lr", "threshold": threshold}, "my.yaml")


def test_cross_fit_is_described_in_the_policy():
    policy = ThresholdPolicy(target_fpr=0.03, on={"source": "nps"}, cross_fit=3)
    assert "out of fold (3 folds)" in policy.describe()
    assert "out of fold" not in ThresholdPolicy(on={"source": "nps"}).describe()


def test_card_reports_the_out_of_fold_negatives_fpr(small_config, data_dir, tmp_path, mlflow_uri):
    config = small_config(data_dir, tmp_path / "model")
    config = dataclasses.replace(
        config, threshold=ThresholdPolicy(target_fpr=0.05, cross_fit=3)
    )
    result = train(config)
    card = json.loads((result.out_dir / CARD_JSON).read_text())
    crossed = card["threshold"]["cross_fitted_negatives"]
    negatives = [c for c in load_split(data_dir, "train") if c.label == 0]
    assert crossed["fpr"]["trials"] == len(negatives)
    assert crossed["groups"] >= 3
    assert crossed["fpr"]["low"] <= crossed["fpr"]["value"] <= crossed["fpr"]["high"]
    assert "scored out of fold, at the threshold" in (result.out_dir / CARD_MD).read_text()
