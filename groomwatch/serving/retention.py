"""Retention: delete flagged conversations' content once it is older than the retention period.

Only the content goes; the review row and its decisions stay, so statistics and reports keep
their metadata. The deleted text is scrubbed from the database files (``Database.scrub``).
Run by ``groomwatch purge`` and at every server start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from groomwatch.errors import ConfigError
from groomwatch.serving import audit
from groomwatch.serving.db import Database, Review, utcnow


def purge(db: Database, retention_days: int, actor: str = "system",
          now: datetime | None = None) -> int:
    """Delete content detected more than ``retention_days`` ago; returns how many items."""
    if retention_days < 0:
        raise ConfigError(f"retention must be zero or more days, not {retention_days}")
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    with db.transaction() as session:
        purged = session.execute(
            update(Review)
            .where(Review.content.is_not(None), Review.created_at < cutoff)
            .values(content=None, content_deleted_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        audit.record(session, actor, "purge", "", retention_days=retention_days, items=purged)
    if purged:
        db.scrub()
    return purged
