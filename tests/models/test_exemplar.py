"""exemplar specifics: explanations name real exemplars; the MiniLM variant works too."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from groomwatch.errors import ConfigError
from groomwatch.models.exemplar import ExemplarDetector


def test_explanations_name_the_nearest_grooming_exemplar(train, splits, hand_conversation):
    detector = train("exemplar")
    conv = hand_conversation(["did you watch the new episode", "lol are you home alone right now"])
    first, second = detector.explain(conv)
    assert "are you home alone right now" in second.nearest_grooming
    assert second.score > first.score == 0.0
    conversation_id, index = second.nearest_grooming_id.split(":")
    source = next(c for c in splits["train"] if c.conversation_id == conversation_id)
    assert source.messages[int(index)].text == second.nearest_grooming
    assert source.messages[int(index)].grooming == 1


def test_message_scores_are_clipped_log_ratios(train, splits):
    scores = np.concatenate([train("exemplar").score_messages(c) for c in splits["test"][:30]])
    assert scores.min() == 0.0 and scores.max() > 0.0


def test_minilm_embedder_ranks_well(splits):
    detector = ExemplarDetector(embedder="minilm").fit(splits["train"], splits["validation"])
    test = splits["test"]
    assert roc_auc_score([c.label for c in test], detector.predict_proba(test)) > 0.85


@pytest.mark.parametrize(("param", "value"), [("embedder", "bert"), ("k", 0), ("top_messages", -1)])
def test_bad_parameters_are_config_errors(param, value):
    with pytest.raises(ConfigError, match=param):
        ExemplarDetector(**{param: value})
