"""exemplar specifics: explanations name real exemplars; the MiniLM variant works too."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from groomwatch.errors import ConfigError
from groomwatch.models.exemplar import ExemplarDetector


def test_explanations_name_the_nearest_grooming_exemplar(train, splits, hand_conversation):
    detector = train("exemplar")
    conv = hand_conversation(["did you watch the new episode", "lol are you home alone right now"])
    first, second = detector.explain(conv)
    assert second.score > first.score == 0.0
    assert second.nearest_grooming is None  # no training text is kept unless asked for
    conversation_id, index = second.nearest_grooming_id.split(":")
    source = next(c for c in splits["train"] if c.conversation_id == conversation_id)
    assert "are you home alone right now" in source.messages[int(index)].text
    assert source.messages[int(index)].grooming == 1


def test_saved_model_holds_exemplar_text_only_when_asked(splits, tmp_path, hand_conversation):
    conv = hand_conversation(["lol are you home alone right now"])
    secret = max(  # a long grooming move, so it cannot match by chance
        (m.text for c in splits["train"] for m in c.messages if m.grooming == 1), key=len
    )
    for keep in (False, True):
        detector = ExemplarDetector(keep_texts=keep).fit(splits["train"], splits["validation"])
        detector.save(tmp_path / str(keep))
        saved = " ".join(f.read_text() for f in (tmp_path / str(keep)).glob("*.json"))
        assert (json.dumps(secret)[1:-1] in saved) == keep
        (explanation,) = ExemplarDetector.load(tmp_path / str(keep)).explain(conv)
        assert (explanation.nearest_grooming is not None) == keep
        if keep:
            assert "are you home alone right now" in explanation.nearest_grooming


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
