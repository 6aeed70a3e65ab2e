"""Multiple-instance pooling: one grooming line is not averaged away, contributions are exact,
and finetune reads the whole conversation in windows."""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.models.finetune import pack_windows
from groomwatch.models.mil import (
    AttentionWeights,
    pool_groups,
    pooled_logits,
    segment_softmax,
    top_k_mean,
)
from groomwatch.models.pooled import POOLINGS
from groomwatch.models.registry import create_detector
from tests.models.conftest import LINE_AT


@pytest.fixture(scope="module")
def pooled(splits):
    """static-lr (linear head, one-message chunks) fitted once per pooling."""
    cache: dict[str, object] = {}

    def fitted(pooling: str):
        if pooling not in cache:
            detector = create_detector("static-lr", pooling=pooling)
            cache[pooling] = detector.fit(splits["train"], splits["validation"])
        return cache[pooling]

    return fitted


def _assert_line_raises_and_leads(detector, long_chat) -> None:
    without = long_chat(with_line=False)
    with_line = long_chat(with_line=True)
    assert detector.decision_function([with_line])[0] > detector.decision_function([without])[0]
    assert detector.predict_proba([with_line])[0] > detector.predict_proba([without])[0]
    # and the reviewer sees why: the line is the top contribution
    assert int(np.argmax(detector.score_messages(with_line))) == LINE_AT


@pytest.mark.parametrize("name", ["static-lr", "embedding-lr", "ensemble"])
def test_one_grooming_line_among_200_benign_raises_the_score(name, train, long_chat):
    """The detectors as the tests' fast settings build them (static-lr in two-message chunks,
    the ensemble with its hidden-layer static-lr member, as ensemble-real ships it)."""
    _assert_line_raises_and_leads(train(name), long_chat)


@pytest.mark.parametrize("pooling", POOLINGS)
def test_every_pooling_scores_the_line_higher(pooling, pooled, long_chat):
    """Whatever pooling a config picks, mean included: the line is never averaged to nothing."""
    _assert_line_raises_and_leads(pooled(pooling), long_chat)


@pytest.mark.parametrize("pooling", ["attention", "topk", "max"])
def test_mil_pooling_keeps_the_line_where_mean_pooling_dilutes_it(
    pooling, pooled, splits, long_chat
):
    """The rise the line causes is larger with MIL pooling than with the mean, relative to
    how far apart the detector puts typical grooming and benign conversations."""

    def rise(detector) -> float:
        scores = detector.decision_function(splits["validation"])
        labels = np.array([c.label for c in splits["validation"]])
        spread = scores[labels == 1].mean() - scores[labels == 0].mean()
        with_line, without = (
            detector.decision_function([long_chat(flag)])[0]
            for flag in (True, False)
        )
        return (with_line - without) / spread

    assert rise(pooled(pooling)) > 3 * rise(pooled("mean"))


def test_attention_shares_are_exact_and_zero_attention_is_the_mean(train, long_chat):
    detector = train("static-lr")
    conversation = long_chat(with_line=True)
    shares = detector.score_messages(conversation)
    logit = detector.decision_function([conversation])[0]
    assert shares.sum() + detector.intercept == pytest.approx(logit, abs=1e-6)
    rng = np.random.default_rng(0)
    x, owners = rng.normal(size=(7, 4)), np.array([0, 0, 0, 1, 1, 2, 2])
    flat = AttentionWeights(np.zeros(4), rng.normal(size=4), 0.5)
    logits, _ = pooled_logits(x, owners, 4, flat)
    means = [x[owners == i].mean(axis=0) @ flat.w + 0.5 for i in range(3)]
    np.testing.assert_allclose(logits, [*means, 0.5])  # conversation 3 has no chunks
    alpha = segment_softmax(rng.normal(size=7), owners, 3)
    np.testing.assert_allclose(np.bincount(owners, weights=alpha), 1.0)


def test_top_k_mean_and_grouped_pooling():
    logits = np.array([0.0, 5.0, -1.0, 3.0])
    assert top_k_mean(logits, "max", 3) == 5.0
    assert top_k_mean(logits, "topk", 2) == 4.0
    assert top_k_mean(logits, "topk", 10) == pytest.approx(logits.mean())
    assert top_k_mean(logits, "mean", 1) == pytest.approx(logits.mean())
    grouped = pool_groups(logits, np.array([0, 0, 2, 2]), 3, "max", 1, empty=-9.0)
    np.testing.assert_array_equal(grouped, [5.0, -9.0, 3.0])


def test_windows_cover_every_message_within_the_budget():
    sep = 0
    messages = [[1] * 3, [2] * 4, [3] * 12, [], [4] * 2]
    windows = pack_windows(messages, budget=5, sep=sep)
    assert all(len(ids) <= 5 for ids, _ in windows)
    covered = sorted({j for _, inside in windows for j in inside})
    assert covered == list(range(len(messages)))
    # the long message is cut into pieces, every token of it is read
    assert sum(ids.count(3) for ids, _ in windows) == 12
    # whole short messages share a window, joined by the separator
    assert windows[0] == ([1, 1, 1], [0])
    assert any(ids == [4, 4] or ids[-2:] == [4, 4] for ids, _ in windows)

