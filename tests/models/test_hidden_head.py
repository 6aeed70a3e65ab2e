"""A hidden layer per message (``hidden: n``): still exact message shares, an incremental window,
the one grooming line among 200 benign ones, and the same saved scores."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from groomwatch.data.record import Conversation
from groomwatch.errors import ConfigError
from groomwatch.models.mil import HiddenLayer, fit_network
from groomwatch.models.registry import create_detector, load_detector
from tests.models.conftest import LINE_AT


@pytest.fixture(scope="module", params=["mean", "attention"])
def hidden(request, splits):
    detector = create_detector(
        "static-lr", pooling=request.param, hidden=16, hidden_epochs=60, seed=1
    )
    return detector.fit(splits["train"], splits["validation"])


def test_ranks_held_out_conversations(hidden, splits):
    test = splits["test"]
    assert roc_auc_score([c.label for c in test], hidden.predict_proba(test)) > 0.85


def test_one_grooming_line_among_200_benign_raises_the_score(hidden, long_chat):
    without, with_line = long_chat(with_line=False), long_chat(with_line=True)
    assert hidden.decision_function([with_line])[0] > hidden.decision_function([without])[0]
    assert int(np.argmax(hidden.score_messages(with_line))) == LINE_AT


def test_shares_are_exact_and_the_window_is_incremental(hidden, splits):
    conv = max(splits["test"], key=lambda c: len(c.messages))
    shares = hidden.score_messages(conv)
    assert shares.sum() + hidden.intercept == pytest.approx(
        hidden.decision_function([conv])[0], abs=1e-6
    )
    scorer = hidden.window_scorer(window=4)
    for i, message in enumerate(conv.messages):
        view = Conversation("w", conv.participants, conv.messages[max(0, i - 3) : i + 1])
        assert scorer.update(message) == pytest.approx(hidden.predict_proba([view])[0], abs=1e-6)


def test_save_load_keeps_the_hidden_layer(hidden, splits, tmp_path):
    hidden.save(tmp_path)
    loaded = load_detector(tmp_path)
    assert loaded.get_params() == hidden.get_params()
    np.testing.assert_array_equal(
        loaded.predict_proba(splits["test"]), hidden.predict_proba(splits["test"])
    )


def test_the_layer_takes_raw_vectors_whatever_their_scale():
    """fit_network standardises its input and folds that into the layer, so the same data at
    another scale and offset gives the same hidden units (and the same head)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5))
    owners = np.repeat(np.arange(10), 4)
    y = (np.arange(10) % 2).astype(float)
    x[y[owners] == 1, 0] += 2.0
    fits = [
        fit_network(v, owners, y, np.ones(10), hidden=3, attention=True, epochs=20)
        for v in (x, 3.0 * x + 7.0)
    ]
    np.testing.assert_allclose(fits[0][0](x), fits[1][0](3.0 * x + 7.0), atol=1e-4)
    np.testing.assert_allclose(fits[0][1].w, fits[1][1].w, atol=1e-5)
    # GELU (tanh form): near identity for large inputs, near zero for very negative ones
    big = HiddenLayer(np.eye(2), np.zeros(2))(np.array([[6.0, -6.0]]))
    np.testing.assert_allclose(big, [[6.0, 0.0]], atol=1e-6)


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"hidden": 8, "pooling": "topk"}, "hidden"),
        ({"hidden": -1}, "hidden"),
        ({"hidden": 8, "dropout": 1.0}, "dropout"),
        ({"hidden": 8, "hidden_epochs": 0}, "hidden_epochs"),
    ],
)
def test_bad_hidden_settings_are_config_errors(params, names):
    with pytest.raises(ConfigError, match=names):
        create_detector("static-lr", **params)
