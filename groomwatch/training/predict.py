"""Scores in the predictions format the assessment stage reads.

One row per conversation: ``conversation_id,score,flag`` (``flag`` is 1 when the score reaches
the detector's threshold). With ``authors`` there is one row per participant instead, with
``author_id`` and that participant's own score (offender identification, PAN12 task 1). With
``early`` a ``warning_at`` column gives the number of messages seen when the eSPD early-warning
rule fired, empty when it never did. Batch scoring (Ray) and the assessment call ``predict``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from groomwatch.data.io import atomic_output
from groomwatch.data.record import Conversation
from groomwatch.models.base import Detector


def predict(
    detector: Detector,
    conversations: Sequence[Conversation],
    *,
    authors: bool = False,
    early: bool = False,
    early_s: int | None = None,
) -> pd.DataFrame:
    """The predictions of ``detector`` for ``conversations`` as a DataFrame (see module doc).

    ``early_s`` is the eSPD rule's s (warn once s of the last 10 window scores pass the
    threshold); ``None`` keeps ``EarlyWarning``'s default.
    """
    if authors:
        rows = [
            (conv.conversation_id, author_id, score)
            for conv in conversations
            for author_id, score in detector.score_authors(conv).items()
        ]
        frame = pd.DataFrame(rows, columns=["conversation_id", "author_id", "score"])
    else:
        frame = pd.DataFrame({
            "conversation_id": [c.conversation_id for c in conversations],
            "score": detector.predict_proba(conversations) if conversations else np.zeros(0),
        })
    frame["score"] = frame["score"].astype(float)
    frame["flag"] = (frame["score"] >= detector.threshold).astype(int)
    if early:
        warnings = _warnings(detector, conversations, early_s)
        frame["warning_at"] = frame["conversation_id"].map(warnings).astype("Int64")
    return frame


def _warnings(
    detector: Detector, conversations: Sequence[Conversation], s: int | None
) -> dict[str, int | None]:
    from groomwatch.models.early_warning import EarlyWarning

    options: dict[str, Any] = {} if s is None else {"s": s}
    rule = EarlyWarning(detector, **options)
    return {conv.conversation_id: rule.run(conv).warning_at for conv in conversations}


def write_predictions(frames: pd.DataFrame | Iterable[pd.DataFrame], path: str | Path) -> int:
    """Write predictions as CSV atomically (a batch iterable streams); returns the row count."""
    if isinstance(frames, pd.DataFrame):
        frames = [frames]
    rows = 0
    with atomic_output(path) as handle:
        for index, frame in enumerate(frames):
            frame.to_csv(handle, header=index == 0, index=False)
            rows += len(frame)
    return rows
