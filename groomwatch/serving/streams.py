"""Streaming: per-conversation windows kept in memory only, bounded in count, size and age.

Each stream holds the last ``window`` messages and an early-warning state. When the warning
fires, the messages kept so far are stored and queued for review once; everything else lives
only in memory and is dropped on DELETE, on expiry, or when the oldest stream is evicted.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.models.base import Detector
from groomwatch.models.early_warning import EarlyWarning, WarningStream
from groomwatch.serving import counters
from groomwatch.serving.db import Database
from groomwatch.serving.scoring import queue_review
from groomwatch.serving.settings import Settings


@dataclass
class StreamState:
    warning: WarningStream
    messages: deque[Message]
    roles: dict[str, str] = field(default_factory=dict)
    last_seen: float = field(default_factory=time.monotonic)
    review_id: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Streams:
    def __init__(self, detector: Detector, db: Database, settings: Settings,
                 counts: counters.CounterBuffer) -> None:
        self.rule = EarlyWarning(detector, window=settings.stream_window,
                                 history=settings.stream_history)
        self.detector = detector
        self.db = db
        self.settings = settings
        self._states: OrderedDict[tuple[str, str], StreamState] = OrderedDict()
        self.counts = counts
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._states)

    def _state(self, key: tuple[str, str]) -> StreamState:
        """The stream's state, created if new; expired and surplus streams are dropped here."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            state = self._states.get(key)
            if state is None:
                while len(self._states) >= self.settings.max_streams:
                    self._states.popitem(last=False)
                state = StreamState(self.rule.stream(),
                                    deque(maxlen=self.settings.stream_window))
                self._states[key] = state
            else:
                self._states.move_to_end(key)
            state.last_seen = now
            return state

    def _expire(self, now: float) -> None:
        cutoff = now - self.settings.stream_ttl_seconds
        while self._states:
            key, oldest = next(iter(self._states.items()))
            if oldest.last_seen >= cutoff:
                break
            del self._states[key]

    def push(self, client: str, conversation_id: str, message: Message,
             role: str) -> dict[str, Any]:
        state = self._state((client, conversation_id))
        with state.lock:
            state.messages.append(message)
            if role != "unknown" or message.author_id not in state.roles:
                state.roles[message.author_id] = role
            score, warned = state.warning.push(message)
            if warned and state.review_id is None:
                state.review_id = self._queue(client, conversation_id, state, score)
            kept = len(state.messages)
        self.counts.add(counters.STREAM_MESSAGES)
        self.counts.flush()
        return {"conversation_id": conversation_id, "score": score, "warned": warned,
                "review_id": state.review_id, "messages_kept": kept}

    def drop(self, client: str, conversation_id: str) -> bool:
        with self._lock:
            return self._states.pop((client, conversation_id), None) is not None

    def _queue(self, client: str, conversation_id: str, state: StreamState, score: float) -> int:
        """Store the conversation so far (what the window holds) and queue it; commit first."""
        kept = list(state.messages)
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
        """Forget every stream (server shutdown)."""
        with self._lock:
            self._states.clear()
