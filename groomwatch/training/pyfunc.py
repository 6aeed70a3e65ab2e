"""The detector as an MLflow pyfunc model, so MLflow's own tools can serve and batch-score it.

``mlflow models serve`` and ``mlflow.pyfunc.spark_udf`` only speak DataFrames: the input has one
column, ``conversation``, holding each conversation record as a JSON string (the same object as
one line of a JSONL file); the output has one column, ``score``, the calibrated probability.
The saved detector directory travels as the model's artifact and is loaded once per process.
This file is logged as the model's code ("models from code"), so no pickled object is stored.
"""

from __future__ import annotations

import json
from typing import Any

import mlflow.pyfunc
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import set_model
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

from groomwatch.data.record import Conversation, RecordError

INPUT_COLUMN = "conversation"
OUTPUT_COLUMN = "score"
ARTIFACT_KEY = "detector"


#: A made-up record for the model's input example: it documents the request format for
#: ``mlflow models serve`` without putting any real conversation into the tracking store.
EXAMPLE_RECORD = {
    "conversation_id": "example",
    "participants": [{"author_id": "a"}, {"author_id": "b"}],
    "messages": [
        {"author_id": "a", "text": "hi, how was school"},
        {"author_id": "b", "text": "fine thanks"},
    ],
}


def input_example() -> pd.DataFrame:
    return pd.DataFrame({INPUT_COLUMN: [json.dumps(EXAMPLE_RECORD)]})


def signature() -> Any:
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec("string", INPUT_COLUMN)]),
        outputs=Schema([ColSpec("double", OUTPUT_COLUMN)]),
    )


class DetectorModel(mlflow.pyfunc.PythonModel):
    """Scores a DataFrame of JSON conversation records with a saved groomwatch detector."""

    def load_context(self, context: Any) -> None:
        from groomwatch.models.registry import load_detector

        self.detector = load_detector(context.artifacts[ARTIFACT_KEY])

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        if INPUT_COLUMN not in model_input.columns:
            raise MlflowException(
                f"input needs a column {INPUT_COLUMN!r} of JSON conversation records",
                INVALID_PARAMETER_VALUE,
            )
        conversations = [_record(value, row) for row, value in enumerate(model_input[INPUT_COLUMN])]
        scores = self.detector.predict_proba(conversations)
        return pd.DataFrame({OUTPUT_COLUMN: scores.astype(float)}, index=model_input.index)


def _record(value: Any, row: int) -> Conversation:
    try:
        return Conversation.from_dict(json.loads(value) if isinstance(value, str) else value)
    except (json.JSONDecodeError, RecordError) as exc:
        raise MlflowException(f"row {row}: {exc}", INVALID_PARAMETER_VALUE) from None


set_model(DetectorModel())
