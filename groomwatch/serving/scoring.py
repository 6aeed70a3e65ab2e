"""Batch scoring: score every conversation, store and queue only the flagged ones.

An unflagged conversation is never written anywhere: it adds one to a counter and is gone.
The response is sent only after the transaction holding the flags has committed. A flagged
conversation that already waits for review (the same client and conversation ID, not yet
decided) is answered with that review: resubmitting, or retrying after a lost answer, never
queues one conversation twice.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from groomwatch.data.record import Conversation, conversation_to_dict
from groomwatch.models.base import Detector
from groomwatch.serving import counters
from groomwatch.serving.db import ESCALATED, QUEUED, SECOND, Database, Review, utcnow
from groomwatch.serving.settings import Settings


def stored_content(conversation: Conversation, contributions: Sequence[float]) -> dict[str, Any]:
    """What a review keeps: the conversation (roles included) and each message's contribution."""
    record = conversation_to_dict(conversation)
    return {
        "participants": [{"author_id": p["author_id"], "role": p["role"]}
                         for p in record["participants"]],
        "messages": [{"author_id": m["author_id"], "text": m["text"], "timestamp": m["timestamp"]}
                     for m in record["messages"]],
        "contributions": [round(float(c), 6) for c in contributions],
    }


def queue_review(
    session: Session, settings: Settings, client: str, conversation: Conversation, score: float,
    threshold: float, contributions: Sequence[float], origin: str,
) -> Review:
    """Add a flagged conversation to the queue; the caller counts flags in the same transaction."""
    review = Review(
        client=client, conversation_id=conversation.conversation_id, origin=origin,
        score=score, threshold=threshold, language=conversation.language, created_at=utcnow(),
        status=QUEUED, needs_two=random.random() < settings.double_review_rate,
        content=stored_content(conversation, contributions),
    )
    session.add(review)
    return review


#: Review states still waiting for a verdict: a resubmission joins the review in one of these.
OPEN = (QUEUED, SECOND, ESCALATED)
# Built once: this runs in every commit that holds a flag (half the cost of building it anew).
_OPEN_REVIEWS = (
    select(Review.client, Review.conversation_id, Review.id)
    .where(Review.conversation_id.in_(bindparam("ids", expanding=True)),
           Review.status.in_(OPEN))
    .order_by(Review.id)
)


_LOCK_CONVERSATIONS = text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) "
    "FROM unnest(CAST(:keys AS text[])) AS k"
)


def open_reviews(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The undecided review of each (client, conversation ID) in ``keys`` that has one.

    Several workers may queue the same conversation at once. SQLite's ``BEGIN IMMEDIATE``
    already runs one writer at a time; on PostgreSQL each key takes a lock held until commit
    (in sorted order, so two batches cannot deadlock), so the second worker sees the first's
    review instead of adding another.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK_CONVERSATIONS,
                        {"keys": sorted(f"{client}/{cid}" for client, cid in keys)})
    rows = session.execute(_OPEN_REVIEWS, {"ids": sorted({cid for _, cid in keys})})
    found: dict[tuple[str, str], int] = {}
    for client, cid, review_id in rows:
        if (client, cid) in keys:
            found.setdefault((client, cid), review_id)
    return found


@dataclass(frozen=True)
class ScoreJob:
    """One request's conversations: what a client sent and whether it wants every explanation."""

    client: str
    conversations: Sequence[Conversation]
    explain: bool = False


class Scorer:
    def __init__(self, detector: Detector, db: Database, settings: Settings,
                 counts: counters.CounterBuffer) -> None:
        self.detector = detector
        self.db = db
        self.settings = settings
        self.counts = counts

    def score(self, jobs: Sequence[ScoreJob]) -> list[list[dict[str, Any]]]:
        """Score every job's conversations in one detector call, then commit every flag in one
        transaction before anything is returned; one result list per job.

        Contributions are computed for flagged conversations (they are stored for review) and,
        for jobs that ask to ``explain``, for the unflagged ones too.
        """
        threshold = float(self.detector.threshold)
        items = [(job, conv) for job in jobs for conv in job.conversations]
        scores = [float(p) for p in self.detector.predict_proba([conv for _, conv in items])]
        flagged = [score >= threshold for score in scores]
        contributions = [
            self.detector.score_messages(conv).tolist() if flag or job.explain else None
            for (job, conv), flag in zip(items, flagged, strict=True)
        ]
        self.counts.add(counters.SCORED, len(items))
        review_ids: list[int | None] = [None] * len(items)
        if any(flagged):
            keys = [(job.client, conv.conversation_id) for job, conv in items]
            with self.db.transaction() as session:
                known = open_reviews(session, {k for k, f in zip(keys, flagged, strict=True) if f})
                self.counts.write_into(session)
                new: dict[tuple[str, str], Review] = {}
                for i, (job, conv) in enumerate(items):
                    # two requests merged into this batch may carry the same conversation
                    if flagged[i] and keys[i] not in known and keys[i] not in new:
                        new[keys[i]] = queue_review(session, self.settings, job.client, conv,
                                                    scores[i], threshold, contributions[i],
                                                    "batch")
                counters.add(session, counters.FLAGGED, len(new))
                session.flush()
                known.update((key, review.id) for key, review in new.items())
            review_ids = [known[k] if f else None for k, f in zip(keys, flagged, strict=True)]
        else:
            self.counts.flush()
        results = iter(
            {"conversation_id": conv.conversation_id, "score": score, "threshold": threshold,
             "flagged": flag, "review_id": review_id, "contributions": contrib}
            for (_, conv), score, flag, review_id, contrib in zip(
                items, scores, flagged, review_ids, contributions, strict=True)
        )
        return [[next(results) for _ in job.conversations] for job in jobs]
