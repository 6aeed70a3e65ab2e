"""Training sample weights reach the learner: weighting the negatives up lowers their scores."""

from __future__ import annotations

import numpy as np
import pytest

from groomwatch.errors import ConfigError
from groomwatch.models.registry import create_detector


@pytest.mark.parametrize("name", ["tfidf-lr"])
def test_weighting_negatives_up_lowers_their_logits(name, splits):
    train, validation = splits["train"], splits["validation"]
    labels = np.array([c.label for c in train])
    plain = create_detector(name).fit(train, validation)
    heavy = create_detector(name).fit(
        train, validation, sample_weight=np.where(labels == 0, 20.0, 1.0)
    )
    negatives = [c for c in validation if c.label == 0]
    assert heavy.decision_function(negatives).mean() < plain.decision_function(negatives).mean()


def test_exemplar_refuses_weights(splits):
    detector = create_detector("exemplar")
    weights = np.ones(len(splits["train"]))
    with pytest.raises(ConfigError, match="weight"):
        detector.fit(splits["train"], splits["validation"], sample_weight=weights)
