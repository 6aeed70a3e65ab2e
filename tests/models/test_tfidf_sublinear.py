"""tfidf-lr with ``sublinear_tf``: the served scoring path and the message shares compute the
``1 + log(count)`` features the model was trained on (the sliding window's resume test in
``test_tfidf_lr.py`` runs with it too)."""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.models.tfidf_lr import TfidfLogisticDetector


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


def test_scores_are_the_sublinear_features_dotted_with_the_weights(tfidf_sublinear, splits):
    conversations = splits["test"][:15]
    scores = tfidf_sublinear.decision_function(conversations)
    expected = [_logit_by_hand(tfidf_sublinear, c) for c in conversations]
    assert scores == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_repeated_ngrams_count_sublinearly(tfidf_sublinear, hand_conversation):
    repeated = hand_conversation(["dont tell your parents ok"] * 6 + ["hey"])
    score = tfidf_sublinear.decision_function([repeated])[0]
    assert score == pytest.approx(_logit_by_hand(tfidf_sublinear, repeated), rel=1e-9)
    raw_features = _logit_by_hand(tfidf_sublinear, repeated, sublinear=False)
    assert score != pytest.approx(raw_features, rel=1e-6)


def test_message_shares_sum_to_the_logit(tfidf_sublinear, splits):
    for conv in splits["test"][:20]:
        total = tfidf_sublinear.score_messages(conv).sum() + tfidf_sublinear.intercept
        assert total == pytest.approx(tfidf_sublinear.decision_function([conv])[0], rel=1e-9)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_sublinear_tf_must_be_a_boolean(value):
    with pytest.raises(ConfigError, match="sublinear_tf"):
        TfidfLogisticDetector(sublinear_tf=value)


def test_the_parameter_round_trips(tfidf_sublinear, tmp_path):
    tfidf_sublinear.save(tmp_path / "m")
    loaded = TfidfLogisticDetector.load(tmp_path / "m")
    assert loaded.get_params()["sublinear_tf"] is True
