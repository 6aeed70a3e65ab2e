"""The Detector contract, checked for every registered detector on the same small data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from groomwatch.data.record import Conversation
from groomwatch.errors import ConfigError, InputError
from groomwatch.models.registry import DETECTORS, create_detector, load_detector

NAMES = ["tfidf-lr", "static-lr", "embedding-lr", "exemplar", "finetune", "ensemble"]


@pytest.fixture(
    params=[n if n != "finetune" else pytest.param(n, marks=pytest.mark.slow) for n in NAMES]
)
def detector(request, train):
    return train(request.param)


def test_every_registered_detector_is_covered():
    assert sorted(NAMES) == sorted(DETECTORS)


def test_ranks_held_out_positives_above_negatives(detector, splits):
    test = splits["test"]
    auc = roc_auc_score([c.label for c in test], detector.predict_proba(test))
    assert auc > 0.85, f"{detector.name}: ROC-AUC {auc:.3f}"


def test_probabilities_are_calibrated(detector, splits):
    """Calibrated on validation, the test probabilities should beat the constant prevalence
    forecast (Brier score) and average near the test prevalence."""
    test = splits["test"]
    y = np.array([c.label for c in test])
    p = detector.predict_proba(test)
    assert p.shape == (len(test),) and np.all((p >= 0) & (p <= 1))
    assert np.mean((p - y) ** 2) < 0.7 * np.mean((y.mean() - y) ** 2)
    assert abs(p.mean() - y.mean()) < 0.1


def test_save_load_gives_identical_scores(detector, splits, tmp_path):
    test = splits["test"][:40]
    detector.save(tmp_path)
    loaded = load_detector(tmp_path)
    assert type(loaded) is type(detector)
    assert loaded.threshold == detector.threshold
    np.testing.assert_array_equal(loaded.predict_proba(test), detector.predict_proba(test))
    np.testing.assert_array_equal(loaded.score_messages(test[0]), detector.score_messages(test[0]))


def test_grooming_messages_get_higher_message_scores(detector, splits):
    grooming, other = [], []
    for conv in (c for c in splits["test"] if c.label == 1):
        scores = detector.score_messages(conv)
        assert scores.shape == (len(conv.messages),)
        for message, score in zip(conv.messages, scores, strict=True):
            (grooming if message.grooming else other).append(score)
    assert np.mean(grooming) > np.mean(other)


def test_offender_scores_above_the_child(detector, splits):
    positives = [c for c in splits["test"] if c.label == 1 and len(c.messages) >= 10]
    wins = [detector.score_authors(c)["a"] > detector.score_authors(c)["b"] for c in positives]
    assert np.mean(wins) > 0.8


def test_window_scorer_equals_rescoring_the_window(detector, splits):
    """Equal to float32 precision (transformer embeddings are float32)."""
    conv = max(splits["test"], key=lambda c: len(c.messages))
    scorer = detector.window_scorer(window=5)
    for i, message in enumerate(conv.messages):
        window = conv.messages[max(0, i - 4) : i + 1]
        view = Conversation("w", conv.participants, window)
        assert scorer.update(message) == pytest.approx(detector.predict_proba([view])[0], abs=1e-6)


def test_empty_input_gives_empty_scores(detector):
    assert detector.predict_proba([]).shape == (0,)


@pytest.mark.parametrize("name", NAMES)
def test_fit_rejects_unlabelled_or_one_class_data(name, splits):
    unlabelled = [
        Conversation(c.conversation_id, c.participants, c.messages) for c in splits["train"]
    ]
    with pytest.raises(InputError, match="no label"):
        create_detector(name).fit(unlabelled, splits["validation"])
    negatives = [c for c in splits["validation"] if c.label == 0]
    with pytest.raises(InputError, match="both"):
        create_detector(name).fit(splits["train"], negatives)


def test_unknown_detector_and_bad_params_are_config_errors():
    with pytest.raises(ConfigError, match="unknown detector"):
        create_detector("nope")
    with pytest.raises(ConfigError, match="bad parameters"):
        create_detector("tfidf-lr", no_such_param=1)
