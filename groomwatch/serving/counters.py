"""Named totals: the only trace an unflagged conversation leaves is one added to these."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from groomwatch.serving.db import Counter

SCORED = "conversations_scored"
FLAGGED = "conversations_flagged"
STREAM_MESSAGES = "stream_messages"
STREAM_WARNINGS = "stream_warnings"
AUDIT_SEQ = "audit_seq"
COUNTERS = (SCORED, FLAGGED, STREAM_MESSAGES, STREAM_WARNINGS, AUDIT_SEQ)


def add(session: Session, name: str, amount: int = 1) -> None:
    if amount:
        session.execute(
            update(Counter).where(Counter.name == name).values(value=Counter.value + amount)
        )


def read_all(session: Session) -> dict[str, int]:
    return {c.name: c.value for c in session.scalars(select(Counter))}
