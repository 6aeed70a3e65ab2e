"""Batch scoring: score every conversation, store and queue only the flagged ones.

An unflagged conversation is never written anywhere: it adds one to a counter and is gone.
The response is sent only after the transaction holding the flags has committed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from groomwatch.data.record import Conversation, conversation_to_dict
from groomwatch.models.base import Detector
from groomwatch.serving import counters
from groomwatch.serving.db import QUEUED, Database, Review, utcnow
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
    review = Review(
        client=client, conversation_id=conversation.conversation_id, origin=origin,
        score=score, threshold=threshold, language=conversation.language, created_at=utcnow(),
        status=QUEUED, needs_two=random.random() < settings.double_review_rate,
        content=stored_content(conversation, contributions),
    )
    session.add(review)
    counters.add(session, counters.FLAGGED)
    return review


class Scorer:
    def __init__(self, detector: Detector, db: Database, settings: Settings) -> None:
        self.detector = detector
        self.db = db
        self.settings = settings

    def score(self, client: str, conversations: Sequence[Conversation]) -> list[dict[str, Any]]:
        """Score, then commit every flag in one transaction before anything is returned."""
        threshold = float(self.detector.threshold)
        scores = [float(p) for p in self.detector.predict_proba(conversations)]
        contributions = [self.detector.score_messages(c).tolist() for c in conversations]
        results: list[dict[str, Any]] = []
        with self.db.transaction() as session:
            counters.add(session, counters.SCORED, len(conversations))
            reviews: list[Review | None] = []
            for conv, score, contrib in zip(conversations, scores, contributions, strict=True):
                flagged = score >= threshold
                reviews.append(
                    queue_review(session, self.settings, client, conv, score, threshold, contrib,
                                 "batch") if flagged else None
                )
            session.flush()
            for conv, score, contrib, review in zip(
                conversations, scores, contributions, reviews, strict=True
            ):
                results.append({
                    "conversation_id": conv.conversation_id, "score": score,
                    "threshold": threshold, "flagged": review is not None,
                    "review_id": review.id if review else None, "contributions": contrib,
                })
        return results
