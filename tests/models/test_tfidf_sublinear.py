"""tfidf-lr with ``sublinear_tf``: the served scoring path, the message shares and the sliding
window all compute the ``1 + log(count)`` features the model was trained on."""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.models.base import RescoringWindowScorer
from groomwatch.models.tfidf_lr import TfidfLogisticDetector


@pytest.fixture(scope="module")
def sublinear(splits) -> TfidfLogisticDetector:
    return TfidfLogisticDetector(sublinear_tf=True).fit(splits["train"], splits["validation"])


def _logit_by_hand(detector: TfidfLogisticDetector, conversation, sublinear: bool = True
                   ) -> float:
    """(1 + log count) · idf (or count · idf), L2-normalised per block, dotted with the
    weights."""
    texts = [m.text for m in conversation.messages]
    logit = detector.intercept
    for block in detector.blocks:
        counts = np.asarray(block.vectorizer.transform(texts).sum(axis=0)).ravel()
        tf = np.where(counts > 0, 1.0 + np.log(np.maximum(counts, 1.0)), 0.0) if sublinear \
            else counts
        x = tf * block.idf
        if np.any(x):
            logit += float(x @ block.coef) / float(np.linalg.norm(x))
    return logit


def test_scores_are_the_sublinear_features_dotted_with_the_weights(sublinear, splits):
    conversations = splits["test"][:15]
    scores = sublinear.decision_function(conversations)
    expected = [_logit_by_hand(sublinear, c) for c in conversations]
    assert scores == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_repeated_ngrams_count_sublinearly(sublinear, hand_conversation):
    repeated = hand_conversation(["dont tell your parents ok"] * 6 + ["hey"])
    score = sublinear.decision_function([repeated])[0]
    assert score == pytest.approx(_logit_by_hand(sublinear, repeated), rel=1e-9)
    assert score != pytest.approx(_logit_by_hand(sublinear, repeated, sublinear=False), rel=1e-6)


def test_message_shares_sum_to_the_logit(sublinear, splits):
    for conv in splits["test"][:20]:
        total = sublinear.score_messages(conv).sum() + sublinear.intercept
        assert total == pytest.approx(sublinear.decision_function([conv])[0], rel=1e-9)


def test_the_incremental_window_equals_rescoring_and_resumes_to_the_bit(sublinear, splits):
    messages = [m for conv in splits["test"][:10] for m in conv.messages]
    live = sublinear.window_scorer(window=6)
    stored: bytes | None = None
    for i, message in enumerate(messages):
        resumed = sublinear.window_scorer(window=6)
        if stored is not None:
            resumed.resume(stored, [m.text for m in messages[max(0, i - 6): i]])
        score = resumed.update(message)
        assert score == live.update(message)
        stored = resumed.state()
        rescoring = RescoringWindowScorer(sublinear, 6)
        rescoring.messages.extend(messages[max(0, i - 5): i])
        assert score == pytest.approx(rescoring.update(message), abs=1e-9)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_sublinear_tf_must_be_a_boolean(value):
    with pytest.raises(ConfigError, match="sublinear_tf"):
        TfidfLogisticDetector(sublinear_tf=value)


def test_the_parameter_round_trips(sublinear, tmp_path):
    sublinear.save(tmp_path / "m")
    loaded = TfidfLogisticDetector.load(tmp_path / "m")
    assert loaded.get_params()["sublinear_tf"] is True
