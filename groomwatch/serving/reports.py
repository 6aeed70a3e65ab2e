"""Report records: one structured, machine-readable record per confirmed flag."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from groomwatch.serving import audit
from groomwatch.serving.db import CONFIRMED, Database, Decision, Review, User
from groomwatch.serving.settings import Settings

CATEGORY = "solicitation of children"
SCHEMA_VERSION = 1
#: Reasons that point at imminent contact and so make a report urgent.
URGENT_REASONS = ("meeting_request",)


def _iso(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def report_record(review: Review, decision: Decision, reviewer: str,
                  settings: Settings) -> dict[str, Any]:
    content = review.content
    return {
        "schema_version": SCHEMA_VERSION,
        "report_id": f"{settings.provider}-{review.id}",
        "provider": settings.provider,
        "service": settings.service,
        "client": review.client,
        "category": CATEGORY,
        "urgency": "high" if decision.reason in URGENT_REASONS else "normal",
        "detected_at": _iso(review.created_at),
        "decided_at": _iso(review.decided_at),
        "reviewer": reviewer,
        "reason": decision.reason,
        "detection": {"origin": review.origin, "score": review.score,
                      "threshold": review.threshold, "language": review.language},
        "conversation_id": review.conversation_id,
        "participants": content["participants"] if content else None,
        "messages": content["messages"] if content else None,
        "content_deleted_at": _iso(review.content_deleted_at),
    }


def confirmed_reports(session: Session, settings: Settings) -> list[dict[str, Any]]:
    """Every confirmed item with the final (latest) decision that confirmed it."""
    rows = session.execute(
        select(Review, Decision, User.name)
        .join(Decision, Decision.review_id == Review.id)
        .join(User, User.id == Decision.user_id)
        .where(Review.status == CONFIRMED)
        .order_by(Review.id, Decision.id)
    ).all()
    final: dict[int, tuple[Review, Decision, str]] = {}
    for review, decision, name in rows:
        final[review.id] = (review, decision, name)  # ordered by id: the last one wins
    return [report_record(r, d, name, settings) for r, d, name in final.values()]


def export(db: Database, settings: Settings, actor: str) -> list[dict[str, Any]]:
    """The reports, with the export itself written to the audit log."""
    with db.transaction() as session:
        reports = confirmed_reports(session, settings)
        audit.record(session, actor, "export", "reports", count=len(reports))
    return reports
