"""Where stream windows live: in this process (the default) or in Redis (several workers).

A stream's whole state is a ``WindowState``: the last ``window`` messages, their authors'
roles, the last ``history`` window scores, where the warning fired and the detector's window
scorer state when it has one to resume from. It is bounded by the window, whatever the
stream's length, and small enough to copy or serialise per message.

A store hands out one stream's state at a time (``StreamStore.open``): the caller changes a
copy and the store keeps it only if the block ends without an error, so a message that fails to
score never enters the window. While one caller holds a stream, no other caller (thread or,
with Redis, process) can open it: concurrent appends are applied one after the other, exactly
as one process would. ``StreamStore.update`` applies a change the same way; a shared store
may first try it without holding the stream and keep it only if no other append came between
(``NeedsExclusive`` marks a change that must hold it).
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from groomwatch.data.record import Message
from groomwatch.errors import ConfigError
from groomwatch.serving.redis_shared import uses_redis
from groomwatch.serving.settings import Settings

StreamKey = tuple[str, str]  # (API client, conversation ID)
T = TypeVar("T")


class StreamQuotaExceeded(Exception):
    """A client tried to open more streams than it may hold (the service answers 429)."""


class StreamBusy(Exception):
    """Another append held the stream past the lock timeout, or the shared store did not
    answer (the service answers 503: retry)."""


class NeedsExclusive(Exception):
    """Raised by a change run optimistically (``exclusive=False``) that must act outside the
    state, such as queueing a review: the store runs it again holding the stream, so the act
    happens once and only if the state it was decided on is the one kept."""


#: ``change(state, exclusive)`` for ``StreamStore.update``
Change = Callable[["WindowState", bool], T]


@dataclass
class WindowState:
    """One stream's state, bounded by the window: nothing grows with the stream's length."""

    #: (author_id, text, timestamp) of the last ``window`` messages, oldest first
    messages: list[tuple[str, str, str | None]] = field(default_factory=list)
    #: roles of the authors in the window only
    roles: dict[str, str] = field(default_factory=dict)
    #: the last ``history`` window scores, oldest first
    scores: list[float] = field(default_factory=list)
    seen: int = 0
    warning_at: int | None = None
    review_id: int | None = None
    #: the detector's window scorer state, if resumable (tfidf-lr: the window's summed n-gram
    #: counts; derived from the texts, so it stays and goes with them)
    scorer: bytes | None = None

    def append(self, message: Message, role: str, window: int) -> None:
        """Add a message; the oldest leaves once the window is full, and so do roles of
        authors no longer in it."""
        self.messages.append((message.author_id, message.text, message.timestamp))
        if len(self.messages) > window:
            del self.messages[: len(self.messages) - window]
            authors = {author for author, _, _ in self.messages}
            self.roles = {a: r for a, r in self.roles.items() if a in authors}
        if role != "unknown" or message.author_id not in self.roles:
            self.roles[message.author_id] = role
        self.seen += 1

    def record(self, score: float, history: int) -> None:
        self.scores.append(score)
        if len(self.scores) > history:
            del self.scores[: len(self.scores) - history]

    def window(self) -> list[Message]:
        return [Message(author_id=a, text=t, timestamp=ts) for a, t, ts in self.messages]

    def copy(self) -> WindowState:
        return replace(self, messages=list(self.messages), roles=dict(self.roles),
                       scores=list(self.scores))

    def to_json(self) -> dict[str, Any]:
        return {"m": self.messages, "r": self.roles, "s": self.scores, "n": self.seen,
                "w": self.warning_at, "id": self.review_id, "c": self.scorer}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WindowState:
        return cls(messages=[tuple(m) for m in data["m"]], roles=data["r"], scores=data["s"],
                   seen=data["n"], warning_at=data["w"], review_id=data["id"],
                   scorer=data.get("c"))


class StreamStore(ABC):
    """Stream states keyed by (client, conversation), bounded per client and expiring."""

    #: True when the state lives outside this process (so appends do network I/O)
    shared = False

    @abstractmethod
    def open(self, key: StreamKey) -> AbstractContextManager[WindowState]:
        """The stream's state (a new one if absent), held exclusively until the block ends and
        kept only if it ends without an error. Raises ``StreamQuotaExceeded`` for a new stream
        of a client already holding its quota."""

    def update(self, key: StreamKey, change: Change[T]) -> tuple[T, WindowState]:
        """Apply ``change`` to the stream's state atomically; its result and the state kept.

        ``change`` may run more than once, on a fresh copy each time: a store that runs it
        optimistically (``exclusive=False``, without holding the stream) keeps its result only
        if no other append came between, and else runs it again on the newer state. A change
        that must act outside the state raises ``NeedsExclusive`` when not exclusive. This
        default holds the stream for every change."""
        with self.open(key) as state:
            return change(state, True), state

    @abstractmethod
    def drop(self, key: StreamKey) -> bool:
        """Forget the stream; False if there was none."""

    @abstractmethod
    def count(self) -> int:
        """Open streams (this store's view; used for metrics and tests)."""

    @abstractmethod
    def close(self) -> None:
        """Release resources at shutdown."""


@dataclass
class _Entry:
    state: WindowState
    last_seen: float
    lock: threading.Lock = field(default_factory=threading.Lock)


class MemoryStreamStore(StreamStore):
    """States in this process's memory: one process, or each conversation routed to one.

    Idle streams expire after ``stream_ttl_seconds``; a client holds at most
    ``max_streams_per_client`` and the process at most ``max_streams``. A full quota refuses
    new streams instead of evicting old ones, so one client cannot push out another's windows.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._entries: OrderedDict[StreamKey, _Entry] = OrderedDict()  # least recent first
        self._per_client: dict[str, int] = {}
        self._lock = threading.Lock()

    def _entry(self, key: StreamKey) -> _Entry:
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            entry = self._entries.get(key)
            if entry is None:
                client = key[0]
                if self._per_client.get(client, 0) >= self.settings.max_streams_per_client:
                    raise StreamQuotaExceeded(
                        f"{self.settings.max_streams_per_client} open streams per client")
                if len(self._entries) >= self.settings.max_streams:
                    raise StreamQuotaExceeded(f"{self.settings.max_streams} open streams")
                entry = self._entries[key] = _Entry(WindowState(), now)
                self._per_client[client] = self._per_client.get(client, 0) + 1
            else:
                self._entries.move_to_end(key)
                entry.last_seen = now
            return entry

    def _expire(self, now: float) -> None:
        cutoff = now - self.settings.stream_ttl_seconds
        while self._entries:
            key, oldest = next(iter(self._entries.items()))
            if oldest.last_seen >= cutoff:
                break
            self._remove(key)

    def _remove(self, key: StreamKey) -> bool:
        if self._entries.pop(key, None) is None:
            return False
        left = self._per_client[key[0]] - 1
        if left:
            self._per_client[key[0]] = left
        else:
            del self._per_client[key[0]]
        return True

    @contextmanager
    def open(self, key: StreamKey) -> Iterator[WindowState]:
        entry = self._entry(key)
        with entry.lock:
            state = entry.state.copy()
            yield state
            entry.state = state

    def drop(self, key: StreamKey) -> bool:
        with self._lock:
            return self._remove(key)

    def count(self) -> int:
        with self._lock:  # idle streams are dropped by the next append, not here
            return len(self._entries)

    def close(self) -> None:
        with self._lock:
            self._entries.clear()
            self._per_client.clear()


def open_store(settings: Settings) -> StreamStore:
    """The store ``settings.streams_url`` names: empty or ``memory`` for this process,
    ``redis://HOST:PORT/DB`` for Redis."""
    url = settings.streams_url
    if not url or url == "memory":
        return MemoryStreamStore(settings)
    if uses_redis(settings):
        from groomwatch.serving.stream_store_redis import RedisStreamStore

        return RedisStreamStore(settings)
    raise ConfigError(f"--streams must be 'memory' or a redis:// URL, not {url!r}")
