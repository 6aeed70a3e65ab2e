"""Named totals: the only trace an unflagged conversation leaves is one added to these.

High-volume counts (conversations scored, stream messages) are buffered in memory and added
to the database at most once a second or with the next write, so unflagged traffic costs no
database write per request. A crash loses at most a second of counts, never a flag.
"""

from __future__ import annotations

import threading
import time
from collections import Counter as Tally

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from groomwatch.serving.db import Counter, Database

SCORED = "conversations_scored"
FLAGGED = "conversations_flagged"
STREAM_MESSAGES = "stream_messages"
STREAM_WARNINGS = "stream_warnings"
AUDIT_SEQ = "audit_seq"
COUNTERS = (SCORED, FLAGGED, STREAM_MESSAGES, STREAM_WARNINGS, AUDIT_SEQ)


_TABLE = Counter.__table__


def add(session: Session, name: str, amount: int = 1) -> None:
    # a Core UPDATE on the table: the ORM's bulk-update machinery costs more than the statement
    if amount:
        session.execute(
            update(_TABLE).where(_TABLE.c.name == name).values(value=_TABLE.c.value + amount)
        )


def read_all(session: Session) -> dict[str, int]:
    return {c.name: c.value for c in session.scalars(select(Counter))}


class CounterBuffer:
    """Counts waiting to be added to the database (thread-safe)."""

    def __init__(self, db: Database, every_seconds: float = 1.0) -> None:
        self.db = db
        self.every_seconds = every_seconds
        self._pending: Tally[str] = Tally()
        self._last_write = time.monotonic()
        self._lock = threading.Lock()

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._pending[name] += amount

    def _take(self) -> Tally[str]:
        with self._lock:
            pending, self._pending = self._pending, Tally()
            self._last_write = time.monotonic()
        return pending

    def write_into(self, session: Session) -> None:
        """Add everything pending inside the caller's transaction."""
        for name, amount in self._take().items():
            add(session, name, amount)

    def flush(self, force: bool = False) -> None:
        """Write pending counts in their own transaction if a second has passed (or ``force``)."""
        with self._lock:
            due = force or time.monotonic() - self._last_write >= self.every_seconds
            if not self._pending or not due:
                return
        with self.db.transaction() as session:
            self.write_into(session)
