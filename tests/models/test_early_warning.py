"""Early warning fires on the exact message the eSPD rule says, in batch and streaming alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.models.base import Detector
from groomwatch.models.early_warning import (
    EarlyWarning,
    ResumableWindowScorer,
    resumable,
    resume_window,
)


class AlarmWordDetector(Detector):
    """Probability 0.9 if any message in view contains 'alarm', else 0.1: makes indices exact."""

    name = "alarm-word"

    def fit(self, train, validation):
        return self

    def predict_proba(self, conversations):
        return np.array([0.9 if any("alarm" in t for t in c.texts) else 0.1 for c in conversations])

    def score_messages(self, conversation):
        return np.array([float("alarm" in t) for t in conversation.texts])

    def get_params(self) -> dict[str, Any]:
        return {}

    def _save_state(self, directory: Path) -> None: ...

    def _load_state(self, directory: Path) -> None: ...


def _texts(n: int, alarm_at: int) -> list[str]:
    """n messages, the one at 1-based position ``alarm_at`` says 'alarm'."""
    return ["alarm" if k == alarm_at else f"hello {k}" for k in range(1, n + 1)]


def test_warns_on_the_s_th_positive_window(hand_conversation):
    conv = hand_conversation(_texts(30, alarm_at=11))
    result = EarlyWarning(AlarmWordDetector(), window=50, history=10, s=3).run(conv)
    # windows 11, 12, 13 contain the alarm: the third positive vote comes with message 13
    assert result.warned and result.warning_at == 13
    np.testing.assert_array_equal(result.window_scores > 0.5, np.arange(1, 31) >= 11)


def test_the_window_forgets_and_the_history_limits_votes(hand_conversation):
    conv = hand_conversation(_texts(30, alarm_at=11))
    short_window = EarlyWarning(AlarmWordDetector(), window=2, history=10, s=3).run(conv)
    assert not short_window.warned and short_window.warning_at is None
    assert EarlyWarning(AlarmWordDetector(), window=2, history=10, s=2).run(conv).warning_at == 12


def test_streaming_equals_batch_and_the_warning_stays_on(hand_conversation):
    conv = hand_conversation(_texts(20, alarm_at=5))
    rule = EarlyWarning(AlarmWordDetector(), window=3, history=4, s=2)
    stream = rule.stream()
    flags = [stream.push(m)[1] for m in conv.messages]
    assert flags == [k >= 6 for k in range(1, 21)]  # on from message 6, still on after the window
    batch = rule.run(conv)
    assert stream.result().warning_at == batch.warning_at == 6
    np.testing.assert_array_equal(stream.result().window_scores, batch.window_scores)


def test_threshold_defaults_to_the_detector_threshold(hand_conversation):
    detector = AlarmWordDetector()
    detector.threshold = 0.95
    assert not EarlyWarning(detector, s=1).run(hand_conversation(_texts(5, 2))).warned
    assert (
        EarlyWarning(detector, s=1, threshold=0.5).run(hand_conversation(_texts(5, 2))).warning_at
        == 2
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"s": 11}, "at most history"), ({"window": 0}, "window"), ({"threshold": 1.5}, "threshold")],
)
def test_bad_settings_are_config_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        EarlyWarning(AlarmWordDetector(), **kwargs)


def test_tfidf_warns_soon_after_grooming_starts_and_not_before(train, hand_conversation):
    benign = [
        "did you finish the maths homework",
        "what game are you playing tonight",
        "that match was so good yesterday",
        "i have football practice at five",
    ] * 5
    grooming = [
        "dont tell your parents about our chats ok",
        "ok",
        "are you home alone right now",
        "yeah",
        "lets keep this our little secret",
        "sure",
        "delete our messages after you read them",
    ]
    conv = hand_conversation(benign + grooming)
    result = EarlyWarning(train("tfidf-lr"), window=10, history=10, s=2, threshold=0.5).run(conv)
    assert result.warned and 21 <= result.warning_at <= 27  # never during the benign part


def test_resume_window_rescores_a_detector_without_a_resumable_scorer(hand_conversation):
    messages = hand_conversation(_texts(6, alarm_at=2)).messages
    scorer = resume_window(AlarmWordDetector(), 3, messages[:4], None)
    assert not isinstance(scorer, ResumableWindowScorer) and not resumable(type(scorer))
    assert scorer.update(messages[4]) == 0.1  # the window (3, 4, 5) has no alarm any more
    assert resume_window(AlarmWordDetector(), 5, messages[:4], None).update(messages[4]) == 0.9


def test_resume_window_rebuilds_a_missing_or_stale_state_from_the_messages(train, splits):
    detector = train("tfidf-lr")
    messages = [m for conv in splits["test"][:4] for m in conv.messages][:25]
    live = detector.window_scorer(window=8)
    for message in messages[:-1]:
        live.update(message)
    expected = live.update(messages[-1])
    window = messages[-9:-1]
    stale = detector.window_scorer(window=6).state()  # another window length's
    for state in (None, stale):
        scorer = resume_window(detector, 8, window, state)
        assert isinstance(scorer, ResumableWindowScorer)
        assert scorer.update(messages[-1]) == pytest.approx(expected, abs=1e-9)
