"""The stacked ensemble: learns its weights on validation, is no worse than its best member
there, explains with its members' contributions, and refuses malformed member lists."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from groomwatch.errors import ConfigError
from groomwatch.models.ensemble import member_logits
from groomwatch.models.registry import create_detector


@pytest.fixture(scope="module")
def ensemble(train):
    return train("ensemble")


def test_no_worse_than_its_best_member_on_validation(ensemble, splits):
    """Each member alone is in the stacker's family (weight 1 on its calibrated logit, 0 on
    the others), so the stacker's validation log-loss can only be lower, up to its small L2
    penalty; on held-out test its ranking stays at least as good as the best member's."""
    y_val = [c.label for c in splits["validation"]]
    mine = log_loss(y_val, ensemble.predict_proba(splits["validation"]))
    members = [log_loss(y_val, m.predict_proba(splits["validation"])) for m in ensemble.members]
    assert mine <= min(members) + 0.01
    y_test = [c.label for c in splits["test"]]
    best = max(roc_auc_score(y_test, m.predict_proba(splits["test"])) for m in ensemble.members)
    assert roc_auc_score(y_test, ensemble.predict_proba(splits["test"])) >= best - 0.01


def test_stacks_the_members_logits(ensemble, splits):
    conversations = splits["test"][:20]
    columns = np.column_stack(
        [member_logits(m.predict_proba(conversations)) for m in ensemble.members]
    )
    logits = columns @ ensemble.weights + ensemble.intercept
    np.testing.assert_allclose(ensemble.predict_proba(conversations), 1 / (1 + np.exp(-logits)))
    assert np.all(ensemble.weights > 0)  # both members carry signal on this data


def test_message_contributions_are_the_weighted_members(ensemble, splits):
    conv = splits["test"][0]
    expected = sum(
        w * m.score_messages(conv) for w, m in zip(ensemble.weights, ensemble.members, strict=True)
    )
    np.testing.assert_allclose(ensemble.score_messages(conv), expected)


def test_members_get_the_ensemble_seed_unless_they_set_one():
    ensemble = create_detector(
        "ensemble",
        members=[{"model": "tfidf-lr"}, {"model": "static-lr", "params": {"seed": 5}}],
        seed=3,
    )
    assert [m.get_params()["seed"] for m in ensemble.members] == [3, 5]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([{"model": "tfidf-lr"}], "at least two"),
        ([{"model": "tfidf-lr"}, {"model": "ensemble"}], "cannot be a member"),
        ([{"model": "tfidf-lr"}, "static-lr"], "each member"),
        ([{"model": "tfidf-lr"}, {"model": "static-lr", "weight": 2}], "unknown key"),
        ([{"model": "tfidf-lr"}, {"model": "nope"}], "unknown detector"),
        ([{"model": "tfidf-lr"}, {"model": "static-lr", "params": {"C": -1}}], "C"),
    ],
)
def test_bad_members_are_config_errors(members, message):
    with pytest.raises(ConfigError, match=message):
        create_detector("ensemble", members=members)
