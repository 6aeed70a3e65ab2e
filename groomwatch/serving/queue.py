"""The review queue: ordered by risk then age; a claim locks an item for one reviewer.

A claim is one conditional UPDATE (``... WHERE claimed_by IS NULL OR claim expired``) whose row
count says whether this caller won; the database's row-level atomicity makes two reviewers
getting the same item impossible on SQLite and PostgreSQL alike. One reviewer holds at most
``max_claims`` items at once, so no one can lock the queue away from the others.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from groomwatch.serving import audit
from groomwatch.serving.auth import Principal
from groomwatch.serving.db import (
    ESCALATED,
    QUEUED,
    SECOND,
    Database,
    Decision,
    Review,
    User,
    utcnow,
)

LEAD_ROLES = ("lead",)
DECIDING_ROLES = ("reviewer", "lead")
MAX_CLAIMS = 3


class ClaimLimit(Exception):
    """The reviewer already holds ``max_claims`` live claims."""


def _visible(principal: Principal) -> ColumnElement[bool]:
    """Items this person may work: leads also see escalations; nobody second-reviews themself."""
    states = [QUEUED, SECOND] + ([ESCALATED] if principal.role in LEAD_ROLES else [])
    already_decided = exists().where(
        Decision.review_id == Review.id, Decision.user_id == principal.user_id
    )
    return and_(Review.status.in_(states), or_(Review.status != SECOND, ~already_decided))


def _claimable(principal: Principal, ttl_seconds: float) -> ColumnElement[bool]:
    expired = utcnow() - timedelta(seconds=ttl_seconds)
    return or_(Review.claimed_by.is_(None), Review.claimed_by == principal.user_id,
               Review.claimed_at < expired)


def ordered(session: Session, principal: Principal, limit: int = 200) -> list[Review]:
    """The queue as this person sees it: highest risk first, oldest first among equals."""
    return list(session.scalars(
        select(Review).where(_visible(principal))
        .order_by(Review.score.desc(), Review.created_at, Review.id).limit(limit)
    ))


def _held_elsewhere(session: Session, principal: Principal, review_id: int,
                    ttl_seconds: float) -> int:
    """Live claims ``principal`` holds on items other than ``review_id``; locks the user's row
    first, so one reviewer's concurrent claims are counted one at a time on PostgreSQL."""
    session.execute(select(User.id).where(User.id == principal.user_id).with_for_update())
    expired = utcnow() - timedelta(seconds=ttl_seconds)
    return session.scalar(select(func.count()).select_from(Review).where(
        Review.claimed_by == principal.user_id, Review.id != review_id,
        Review.claimed_at >= expired, Review.status.in_([QUEUED, SECOND, ESCALATED])))


def claim(db: Database, principal: Principal, review_id: int, ttl_seconds: float,
          max_claims: int = MAX_CLAIMS) -> bool:
    """Try to lock one item for ``principal``; True when this caller now holds it. Raises
    ClaimLimit when they already hold ``max_claims`` other items."""
    with db.transaction() as session:
        if _held_elsewhere(session, principal, review_id, ttl_seconds) >= max_claims:
            raise ClaimLimit
        won = session.execute(
            update(Review)
            .where(Review.id == review_id, _visible(principal), _claimable(principal, ttl_seconds))
            .values(claimed_by=principal.user_id, claimed_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if won:
            audit.record(session, principal.name, "claim", f"review:{review_id}")
    return won


def claim_next(db: Database, principal: Principal, ttl_seconds: float) -> int | None:
    """The item this person already holds, else the top free one they win the race for."""
    with db.transaction() as session:
        held = session.scalar(
            select(Review.id).where(_visible(principal), Review.claimed_by == principal.user_id)
            .order_by(Review.score.desc(), Review.created_at).limit(1)
        )
        if held is not None:
            return held
        candidates = list(session.scalars(
            select(Review.id).where(_visible(principal), _claimable(principal, ttl_seconds))
            .order_by(Review.score.desc(), Review.created_at, Review.id).limit(25)
        ))
    for review_id in candidates:
        if claim(db, principal, review_id, ttl_seconds):
            return review_id
    return None


def release(db: Database, principal: Principal, review_id: int) -> bool:
    """A lead takes an item back from whoever holds it, so someone else can claim it."""
    with db.transaction() as session:
        holder = session.scalar(select(Review.claimed_by).where(
            Review.id == review_id, Review.claimed_by.is_not(None)).with_for_update())
        if holder is None:
            return False
        session.execute(update(Review).where(Review.id == review_id)
                        .values(claimed_by=None, claimed_at=None)
                        .execution_options(synchronize_session=False))
        audit.record(session, principal.name, "reassign", f"review:{review_id}",
                     released_from=holder)
    return True


def queue_depth(session: Session) -> dict[str, int]:
    """Open items per state, for /metrics and the queue page."""
    depth = dict.fromkeys((QUEUED, SECOND, ESCALATED), 0)
    rows = session.execute(
        select(Review.status, func.count()).where(Review.status.in_(list(depth)))
        .group_by(Review.status)
    )
    depth.update({status: n for status, n in rows})
    return depth
