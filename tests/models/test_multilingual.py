"""The multilingual encoder option: verified weights, and what it learns in English carries over
to other languages (MiniLM is English-only)."""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.models import embedders
from groomwatch.models.registry import create_detector

#: hand-written translations of template lines (tests/models/conftest.py)
GERMAN_GROOMING = [
    "erzähl deinen eltern nichts von unseren chats ok",
    "bist du gerade allein zu hause",
    "lass uns das unser kleines geheimnis bleiben",
    "lösch unsere nachrichten nachdem du sie gelesen hast",
]
GERMAN_BENIGN = [
    "hast du die mathe hausaufgaben fertig",
    "welches spiel spielst du heute abend",
    "ich habe um fünf fußballtraining",
    "hast du die neue folge gesehen",
]


def test_multilingual_weights_are_checked(monkeypatch):
    monkeypatch.setattr(embedders, "USE_WEIGHTS_SHA256", "0" * 64)
    with pytest.raises(ConfigError, match="SHA-256"):
        embedders.MultilingualEmbedder()


def test_bad_encoder_is_a_config_error():
    with pytest.raises(ConfigError, match="encoder"):
        create_detector("embedding-lr", encoder="labse")


@pytest.mark.slow
def test_trained_in_english_it_ranks_german_grooming_above_german_chat(splits, hand_conversation):
    detector = create_detector(
        "embedding-lr", encoder="use-multilingual", messages_per_chunk=1, pooling="mean"
    ).fit(splits["train"], splits["validation"])
    grooming = [hand_conversation([line, "ok"]) for line in GERMAN_GROOMING]
    benign = [hand_conversation([line, "ok"]) for line in GERMAN_BENIGN]
    scores = detector.decision_function(grooming + benign)
    # share of (grooming, benign) pairs ranked right: the ROC-AUC; chance is 0.5
    assert np.mean(scores[:4, None] > scores[None, 4:]) >= 0.8


def test_a_full_cache_still_answers_texts_cached_before_the_call():
    encoder = embedders.MultilingualEmbedder(cache_size=2)
    first = encoder.encode(["hallo", "ok"])
    rows = encoder.encode(["ok", "bis bald", "wo bist du"])  # past the cache's size
    np.testing.assert_allclose(rows[0], first[1], atol=1e-6)
    assert rows.shape == (3, embedders.USE_DIM)
