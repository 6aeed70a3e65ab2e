"""tfidf-lr specifics: exact logit decomposition and parameter checks."""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.models.tfidf_lr import TfidfLogisticDetector


def test_message_shares_sum_to_the_conversation_logit(train, splits):
    detector = train("tfidf-lr")
    for conv in splits["test"][:20]:
        total = detector.score_messages(conv).sum() + detector.intercept
        assert total == pytest.approx(detector.decision_function([conv])[0], rel=1e-9)


def test_the_top_message_is_a_grooming_line(train, hand_conversation):
    detector = train("tfidf-lr")
    conv = hand_conversation(
        ["did you watch the new episode", "yeah", "dont tell your parents about our chats ok", "ok"]
    )
    assert int(np.argmax(detector.score_messages(conv))) == 2


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("word_ngrams", [2, 1]),
        ("char_ngrams", "24"),
        ("min_df", 0),
        ("C", -1.0),
        ("calibration", "platt"),
        ("class_weight", "even"),
    ],
)
def test_bad_parameters_are_config_errors(param, value):
    with pytest.raises(ConfigError, match=param):
        TfidfLogisticDetector(**{param: value})


def test_parameters_round_trip_through_json_types():
    detector = TfidfLogisticDetector(word_ngrams=[1, 3], C=2)
    rebuilt = TfidfLogisticDetector(**detector.get_params())
    assert rebuilt.get_params() == detector.get_params()
    assert rebuilt.word_ngrams == (1, 3)
