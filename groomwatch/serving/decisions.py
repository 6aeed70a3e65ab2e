"""Reviewer decisions: confirm, dismiss or escalate, each with a reason from the policy list.

A sampled share of flags needs two independent verdicts (that is where agreement is measured);
disagreement and explicit escalation go to a lead, whose verdict is final. A dismissal deletes
the content at once, replaces the conversation ID and client with keyed pseudonyms (so the row
no longer points at the platform's record) and scrubs the deleted text from the database files;
only decision metadata stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException
from sqlalchemy import select

from groomwatch.serving import audit
from groomwatch.serving.auth import Principal
from groomwatch.serving.db import (
    CONFIRMED,
    DISMISSED,
    ESCALATED,
    QUEUED,
    SECOND,
    Database,
    Decision,
    Review,
    utcnow,
)
from groomwatch.serving.queue import LEAD_ROLES

OUTCOMES = ("confirm", "dismiss", "escalate")
VERDICTS = {"confirm": CONFIRMED, "dismiss": DISMISSED}


@dataclass(frozen=True)
class Reason:
    code: str
    label: str


#: The short policy list reviewers choose from, per outcome; the first is the default.
REASONS: dict[str, tuple[Reason, ...]] = {
    "confirm": (
        Reason("grooming_pattern", "Grooming pattern: trust, secrecy, isolation"),
        Reason("sexual_solicitation", "Sexual solicitation of a child"),
        Reason("meeting_request", "Attempt to meet offline"),
    ),
    "dismiss": (
        Reason("benign", "Benign conversation"),
        Reason("no_child", "No child in the conversation"),
        Reason("detector_error", "Misleading words; detector error"),
    ),
    "escalate": (
        Reason("age_unclear", "Ages unclear"),
        Reason("needs_context", "Needs more context"),
        Reason("policy_question", "Policy question"),
    ),
}


def _check_reason(outcome: str, reason: str) -> None:
    if outcome not in OUTCOMES:
        raise HTTPException(422, f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    codes = [r.code for r in REASONS[outcome]]
    if reason not in codes:
        raise HTTPException(422, f"reason for {outcome} must be one of {', '.join(codes)}")


def _next_state(review: Review, outcome: str, first_verdict: str | None) -> str:
    if outcome == "escalate":
        return ESCALATED
    if review.status == QUEUED and review.needs_two:
        return SECOND
    if review.status == SECOND and first_verdict != outcome:
        return ESCALATED
    return VERDICTS[outcome]


def decide(db: Database, principal: Principal, review_id: int, outcome: str, reason: str,
           note: str = "") -> str:
    """Record a decision by the claim holder and move the item on; returns its new state."""
    _check_reason(outcome, reason)
    with db.transaction() as session:
        review = session.scalar(select(Review).where(Review.id == review_id).with_for_update())
        if review is None:
            raise HTTPException(404, f"no review {review_id}")
        if review.claimed_by != principal.user_id or review.status not in (QUEUED, SECOND,
                                                                            ESCALATED):
            raise HTTPException(409, f"review {review_id} is not claimed by you; open it again")
        if review.status == ESCALATED and principal.role not in LEAD_ROLES:
            raise HTTPException(403, "only a lead decides an escalated item")
        if review.status == ESCALATED and outcome == "escalate":
            raise HTTPException(422, "a lead's decision on an escalated item is final: "
                                     "confirm or dismiss")
        first_verdict = session.scalar(
            select(Decision.outcome).where(Decision.review_id == review_id,
                                           Decision.outcome.in_(list(VERDICTS)))
            .order_by(Decision.id).limit(1)
        )
        now = utcnow()
        session.add(Decision(review_id=review_id, user_id=principal.user_id, outcome=outcome,
                             reason=reason, note=note.strip()[:2000], created_at=now))
        state = _next_state(review, outcome, first_verdict)
        review.status, review.claimed_by, review.claimed_at = state, None, None
        if state in (CONFIRMED, DISMISSED):
            review.decided_at = now
        if state == DISMISSED:
            review.content, review.content_deleted_at = None, now
            review.conversation_id = pseudonym(review.conversation_id)
            review.client = pseudonym(review.client)
        audit.record(session, principal.name, "decision", f"review:{review_id}",
                     outcome=outcome, reason=reason, state=state)
    if state == DISMISSED:
        db.scrub()
    return state


def pseudonym(value: str) -> str:
    """A stand-in that still groups equal values (statistics) without naming them; keyed, so it
    cannot be matched against a list of guessed IDs without the audit key."""
    return "h:" + audit.keyed("pseudonym", value)
