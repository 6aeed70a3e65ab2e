"""finetune: a tiny run completes, and a saved model scores exactly as the trained one.

The full contract (ranking, calibration) for finetune runs with ``-m slow``.
"""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.models.finetune import FineTunedDetector, length_batches
from groomwatch.models.registry import load_detector


def test_tiny_run_completes_and_round_trips(splits, tmp_path, hand_conversation):
    detector = FineTunedDetector(max_length=32, epochs=1, max_train_samples=32, batch_size=16)
    detector.fit(splits["train"], splits["validation"][:40])
    test = splits["test"][:10]
    p = detector.predict_proba(test)
    assert p.shape == (10,) and np.all((p > 0) & (p < 1))
    assert detector.score_messages(test[0]).shape == (len(test[0].messages),)
    detector.save(tmp_path)
    loaded = load_detector(tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(test), p)
    # validation logits come from the trained model's cache, the loaded model computes them
    validation = splits["validation"][:40]
    np.testing.assert_allclose(
        loaded.predict_proba(validation), detector.predict_proba(validation), atol=1e-6
    )
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


def test_frozen_parts_keep_their_weights_and_the_rest_learns(splits):
    import torch

    detector = FineTunedDetector(
        max_length=32, max_train_samples=32, batch_size=16, lr=1e-3,
        freeze_embeddings=True, freeze_layers=2,
    )
    detector.fit(splits["train"], splits["validation"][:20])
    fresh = FineTunedDetector()
    fresh._load(None)
    before, after = fresh.model.encoder, detector.model.encoder
    for name in ("embeddings", "encoder.layer.0", "encoder.layer.1", "encoder.layer.5"):
        changed = not all(
            torch.equal(a, b)
            for a, b in zip(
                before.get_submodule(name).parameters(),
                after.get_submodule(name).cpu().parameters(),
                strict=True,
            )
        )
        assert changed == (name == "encoder.layer.5"), name


def test_more_frozen_layers_than_the_encoder_has_is_a_config_error(splits):
    with pytest.raises(ConfigError, match="freeze_layers"):
        FineTunedDetector(freeze_layers=7).fit(splits["train"][:20], splits["validation"][:20])


def test_length_batches_cover_every_window_once_and_pad_little():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 300, size=1000).tolist()
    batches = length_batches(lengths, 16, np.random.default_rng(1))
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    assert max(len(b) for b in batches) == 16
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    shuffled = np.random.default_rng(1).permutation(1000)
    random_padded = sum(
        len(chunk) * max(lengths[i] for i in chunk)
        for chunk in (shuffled[s : s + 16] for s in range(0, 1000, 16))
    )
    assert padded < 0.7 * random_padded
    # the order of batches is random, not shortest first
    firsts = [lengths[b[0]] for b in batches]
    assert firsts != sorted(firsts)
