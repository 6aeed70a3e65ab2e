"""tfidf-lr specifics: exact logit decomposition, parameter checks, and the incremental window
scorer's state, which a served stream stores and any worker resumes."""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.models.base import RescoringWindowScorer
from groomwatch.models.registry import create_detector, load_detector
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


def _stream(splits) -> list:
    """The test conversations' messages end to end: one long stream whose window moves."""
    return [m for conv in splits["test"][:12] for m in conv.messages]


@pytest.mark.parametrize("sublinear_tf", [False, True])
def test_a_window_resumed_from_its_state_scores_as_the_live_one_to_the_bit(
        train, tfidf_sublinear, splits, sublinear_tf):
    """What a served stream relies on: workers resume the state another one wrote."""
    detector = tfidf_sublinear if sublinear_tf else train("tfidf-lr")
    messages = _stream(splits)
    live = detector.window_scorer(window=7)
    stored: bytes | None = None
    for i, message in enumerate(messages):
        resumed = detector.window_scorer(window=7)
        if stored is not None:
            resumed.resume(stored, [m.text for m in messages[max(0, i - 7) : i]])
        score = resumed.update(message)
        assert score == live.update(message)
        stored = resumed.state()
        rescoring = RescoringWindowScorer(detector, 7)
        rescoring.messages.extend(messages[max(0, i - 6) : i])
        assert score == pytest.approx(rescoring.update(message), abs=1e-9)
    assert len(messages) > 7 * 10


def test_the_state_holds_counts_not_text_and_fits_only_its_own_model_and_window(
        train, splits, tmp_path):
    detector = train("tfidf-lr")
    messages = _stream(splits)[:30]
    scorer = detector.window_scorer(window=10)
    for message in messages:
        scorer.update(message)
    state = scorer.state()
    window = [m.text for m in messages[-10:]]
    assert not any(text.encode() in state for text in window if len(text) > 3)
    # a saved and loaded model resumes it; a window of other length, or another model, not
    detector.save(tmp_path / "model")
    reloaded = load_detector(tmp_path / "model").window_scorer(window=10)
    reloaded.resume(state, window)
    assert reloaded.update(messages[0]) == scorer.update(messages[0])
    with pytest.raises(ValueError, match="another"):
        detector.window_scorer(window=9).resume(state, window[1:])
    with pytest.raises(ValueError, match="another"):
        detector.window_scorer(window=10).resume(state, window[1:])
    other = create_detector("tfidf-lr", C=1.0).fit(splits["train"], splits["validation"])
    with pytest.raises(ValueError, match="another"):
        other.window_scorer(window=10).resume(state, window)


def test_a_window_emptied_of_known_ngrams_scores_as_an_empty_window(train, hand_conversation):
    """Counts that go back to zero leave the state, and the norm resets exactly."""
    detector = train("tfidf-lr")
    chat = hand_conversation(["dont tell your parents about our chats ok", "", "", ""]).messages
    scorer = detector.window_scorer(window=2)
    empty = float(detector.calibrator(np.array([detector.intercept]))[0])
    scores = [scorer.update(m) for m in chat]
    assert scores[0] != empty and scores[1] != empty and scores[2:] == [empty, empty]
    assert [len(keys) for keys in scorer.keys] == [1] * len(detector.blocks)  # only the end
