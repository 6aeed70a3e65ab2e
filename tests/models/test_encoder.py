"""The bundled MiniLM is verified before use and embeds like sentence-transformers does."""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.models.encoder import (
    WEIGHTS_FILE,
    SentenceEncoder,
    model_dir,
    shared_encoder,
    verify_weights,
)


def test_bundled_weights_pass_the_check():
    assert (model_dir() / WEIGHTS_FILE).is_file()


def test_tampered_or_missing_weights_are_refused(tmp_path):
    fake = tmp_path / WEIGHTS_FILE
    fake.write_bytes(b"not the model")
    with pytest.raises(ConfigError, match="SHA-256"):
        verify_weights(fake)
    with pytest.raises(ConfigError, match="not found"):
        verify_weights(tmp_path / "missing.safetensors")


def test_embeddings_are_unit_vectors_that_reflect_meaning():
    encoder = shared_encoder()
    a, b, c = encoder.encode(["are you home alone", "is anyone else at home", "i love pizza"])
    assert np.linalg.norm(a) == pytest.approx(1.0, abs=1e-5)
    assert a @ b > a @ c + 0.2
    assert encoder.encode([]).shape == (0, 384)


def test_a_call_with_more_new_texts_than_the_cache_holds_still_answers_every_text():
    encoder = SentenceEncoder(cache_size=2)
    first = encoder.encode(["hello there", "ok"])
    # "ok" is cached; three new texts push the cache past its size within this one call
    rows = encoder.encode(["ok", "see you", "where are you", "lol"])
    np.testing.assert_allclose(rows[0], first[1], atol=1e-6)
    assert rows.shape == (4, 384)
    assert len(encoder._cache) <= 2
