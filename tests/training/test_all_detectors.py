"""Every shipped config trains end to end, and its registered pyfunc model scores like it (slow).

Ranking quality per detector is the models stage's test; this one checks the run's plumbing
(the MLflow model carries everything the detector needs, torch-based ones included).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from groomwatch.data.io import load_split
from groomwatch.models.registry import load_detector
from groomwatch.training.config import load_config, shipped_configs
from groomwatch.training.run import train

#: Cuts on top of each shipped config's params, by detector, so the neural detectors finish in
#: minutes on a CPU; every shipped config is trained, so a new one needs no line here.
FAST = {
    "finetune": {"max_train_samples": 200, "max_length": 64},
    "static-lr": {"hidden_epochs": 30},
    "embedding-lr": {"hidden_epochs": 30},
}


def _fast(model: str, params: dict) -> dict:
    """``params`` with the FAST cuts, also inside an ensemble's members."""
    if model == "ensemble":
        members = [
            m | {"params": _fast(m["model"], m.get("params", {}))} for m in params["members"]
        ]
        return params | {"members": members}
    cuts = FAST.get(model, {})
    if "hidden_epochs" in cuts and not params.get("hidden"):
        cuts = {}  # a linear head has no hidden layer to train
    return params | cuts


@pytest.mark.slow
@pytest.mark.parametrize("name", shipped_configs())
def test_shipped_config_trains_and_its_pyfunc_model_agrees(name, data_dir, tmp_path, mlflow_uri):
    import mlflow

    config = load_config(name)
    config = dataclasses.replace(config, params=_fast(config.model, config.params), bootstrap=100)
    if config.threshold.on:  # the synthetic splits have one source: hold the FPR on it
        source = load_split(data_dir, "validation")[0].source
        subset = dataclasses.replace(config.threshold, on={"source": source})
        config = dataclasses.replace(config, threshold=subset)
    result = train(config.with_overrides(data=data_dir, out=tmp_path / name))
    test = load_split(data_dir, "test")
    expected = load_detector(result.out_dir).predict_proba(test)
    assert len(np.unique(expected)) > 1
    model = mlflow.pyfunc.load_model(result.model_uri)
    frame = pd.DataFrame({"conversation": [json.dumps(c.to_dict()) for c in test]})
    np.testing.assert_allclose(model.predict(frame)["score"], expected, rtol=0, atol=1e-6)

