"""Streaming: per-conversation windows, bounded by the window and kept in memory only.

Each stream keeps the last ``window`` messages, their authors' roles and the last ``history``
window scores (``WindowState``), in this process or in Redis (``stream_store``), so one or
several workers can take its messages. When the warning fires, the messages kept so far are
stored and queued for review once; everything else is dropped on DELETE or on expiry.

A detector with a resumable window scorer (``tfidf-lr``) keeps its state in the stream's state
too (the window's summed n-gram counts, a few kilobytes), so any worker updates the window by
the one message instead of rescoring it: each append costs one message's n-gram counting, and
the scores are the offline ``EarlyWarning.run`` ones to the last bit, with one worker or many.
Other detectors rescore the window from its messages on every append (scores equal up to
float rounding). Either way a stream warns on the message an offline evaluation names.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import HTTPException

from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.models.base import Detector
from groomwatch.models.early_warning import EarlyWarning, resumable, resume_window
from groomwatch.serving import counters
from groomwatch.serving.db import Database
from groomwatch.serving.scoring import queue_review
from groomwatch.serving.settings import Settings
from groomwatch.serving.stream_store import (
    NeedsExclusive,
    StreamBusy,
    StreamQuotaExceeded,
    StreamStore,
    WindowState,
    open_store,
)


class Streams:
    def __init__(self, detector: Detector, db: Database, settings: Settings,
                 counts: counters.CounterBuffer, store: StreamStore | None = None) -> None:
        self.rule = EarlyWarning(detector, window=settings.stream_window,
                                 history=settings.stream_history)
        self.detector = detector
        self.db = db
        self.settings = settings
        self.counts = counts
        self.store = store or open_store(settings)

    def __len__(self) -> int:
        return self.store.count()

    def push(self, client: str, conversation_id: str, message: Message,
             role: str) -> dict[str, Any]:
        """Append one message and apply the warning rule; the state changes only if this
        succeeds (a warning's review is committed first)."""
        def advance(state: WindowState, exclusive: bool) -> float:
            score = self.window_score(state, message)
            state.append(message, role, self.rule.window)
            state.record(score, self.rule.history)
            if state.warning_at is None and self.rule.fires(state.scores):
                state.warning_at = state.seen
            if state.warning_at is not None and state.review_id is None:
                if not exclusive:  # queued once, holding the stream
                    raise NeedsExclusive
                state.review_id = self._queue(client, conversation_id, state, score)
            return score

        try:
            score, state = self.store.update((client, conversation_id), advance)
        except StreamQuotaExceeded as exc:
            raise HTTPException(
                429, f"too many open streams ({exc}): end finished ones with DELETE",
                headers={"Retry-After": str(max(1, math.ceil(self.settings.stream_ttl_seconds)))},
            ) from None
        except StreamBusy as exc:
            raise HTTPException(503, f"{exc}; retry", headers={"Retry-After": "1"}) from None
        self.counts.add(counters.STREAM_MESSAGES)
        self.counts.flush()
        return {"conversation_id": conversation_id, "score": score,
                "warned": state.warning_at is not None,
                "review_id": state.review_id, "messages_kept": len(state.messages)}

    def window_score(self, state: WindowState, message: Message) -> float:
        """The detector's score of the window once ``message`` joins it (before it does:
        the scorer needs the text of the message that leaves); keeps the scorer's state."""
        scorer = resume_window(self.detector, self.rule.window, state.window(), state.scorer)
        score = scorer.update(message)
        state.scorer = scorer.state() if resumable(type(scorer)) else None
        return score

    def drop(self, client: str, conversation_id: str) -> bool:
        return self.store.drop((client, conversation_id))

    def _queue(self, client: str, conversation_id: str, state: WindowState, score: float) -> int:
        """Store the conversation so far (what the window holds) and queue it; commit first."""
        kept = state.window()
        authors = dict.fromkeys(m.author_id for m in kept)
        conversation = Conversation(
            conversation_id=conversation_id,
            participants=[Participant(author_id=a, role=state.roles.get(a, "unknown"))
                          for a in authors],
            messages=kept,
        )
        contributions = self.detector.score_messages(conversation)
        with self.db.transaction() as session:
            self.counts.write_into(session)
            counters.add(session, counters.FLAGGED)
            counters.add(session, counters.STREAM_WARNINGS)
            review = queue_review(session, self.settings, client, conversation, score,
                                  self.rule.threshold, contributions, "stream")
            session.flush()
            return review.id

    def close(self) -> None:
        """Forget this process's streams (server shutdown); a shared store keeps them."""
        self.store.close()
