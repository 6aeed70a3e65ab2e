"""finetune: a tiny run completes, and a saved model scores exactly as the trained one.

The full contract (ranking, calibration) for finetune runs with ``-m slow``.
"""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.models.finetune import FineTunedDetector
from groomwatch.models.registry import load_detector


def test_tiny_run_completes_and_round_trips(splits, tmp_path, hand_conversation):
    detector = FineTunedDetector(max_length=32, epochs=1, max_train_samples=32, batch_size=16)
    detector.fit(splits["train"], splits["validation"][:40])
    test = splits["test"][:10]
    p = detector.predict_proba(test)
    assert p.shape == (10,) and np.all((p > 0) & (p < 1))
    assert detector.score_messages(test[0]).shape == (len(test[0].messages),)
    detector.save(tmp_path)
    np.testing.assert_array_equal(load_detector(tmp_path).predict_proba(test), p)
    # the whole conversation is read in windows, not only its last max_length tokens: a line
    # in the middle of 201 messages changes its window's logit
    texts = [f"what game are you playing tonight {i}" for i in range(201)]
    plain = hand_conversation(texts)
    texts[100] = "dont tell your parents about our chats ok"
    changed = hand_conversation(texts)
    _, owners = detector._windows([plain, changed])
    assert np.bincount(owners).min() > 10
    assert detector.score_messages(changed)[100] != detector.score_messages(plain)[100]


@pytest.mark.parametrize(
    ("param", "value"), [("max_length", 0), ("epochs", 1.5), ("lr", 0), ("calibration", "x")]
)
def test_bad_parameters_are_config_errors(param, value):
    with pytest.raises(ConfigError, match=param):
        FineTunedDetector(**{param: value})


def test_a_device_that_does_not_exist_is_a_config_error(splits):
    with pytest.raises(ConfigError, match="device"):
        FineTunedDetector(device="tpu9").fit(splits["train"][:20], splits["validation"][:20])
