"""Stream windows in Redis, so any of several workers can take any message of any stream.

Per stream, one hash holds its ``WindowState`` (msgpack; only the window: at most ``window``
messages, and the detector's window scorer state derived from them) and a version, a random
token that every write replaces, with a TTL of ``stream_ttl_seconds`` renewed by every append,
so Redis itself expires idle streams.

Appends are atomic per stream, two ways:
- **held** (the first append a worker sees of a stream, after a conflict, and whenever a
  review is queued): a Lua script takes a per-stream lock key with a timeout
  (``stream_lock_seconds``) and reads the state, or only says it is unchanged when the worker's
  cached version is current; another writes the new state only while the lock is still this
  append's, then releases it. A worker killed mid-append leaves its stream locked until the
  timeout, never half-written.
- **optimistic** (the common case: the worker wrote the stream's last version): the worker
  applies the message to its cached copy and one script writes the result only if the version
  is still the cached one and no lock is held: one round trip. Otherwise it is discarded and the
  append runs held, so the window and the single warning are the same as one process's.

A worker's cache holds the states it wrote last (bounded by ``max_streams``, idle ones leave
after ``stream_ttl_seconds``); a DELETE anywhere removes the stream from every worker's cache
at once (a Redis pub/sub message naming only the hashed key). Per client, a sorted set of its
open streams (hashed keys, last append time) enforces the quota. Keys are hashes of (client,
conversation ID); no text or ID appears in a key, a message or a log.

Redis must not write this data to disk: run it with ``save ""`` and ``appendonly no``. A
server that persists gets a warning in the log at start (``persistence_problems``).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import msgspec
import redis

from groomwatch.errors import ConfigError
from groomwatch.serving.redis_shared import PREFIX
from groomwatch.serving.settings import Settings
from groomwatch.serving.stream_store import (
    Change,
    NeedsExclusive,
    StreamBusy,
    StreamKey,
    StreamQuotaExceeded,
    StreamStore,
    T,
    WindowState,
)

log = logging.getLogger("groomwatch.serving")

DROPPED = PREFIX + "dropped"  # pub/sub channel: hashed keys of streams ended by DELETE

# KEYS: state, lock, client set. ARGV: lock token, lock ms, ttl ms, quota, member, cached
# version. Returns {0} if another append holds the stream, {2} if a new stream is over the
# client's quota, {1} for a new stream, {1, version} if the cached version is current, else
# {1, version, state}. Streams idle for the TTL leave the client's set here.
_OPEN = """
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
local version = redis.call('HGET', KEYS[1], 'v')
if version then
  if version == ARGV[6] then return {1, version} end
  return {1, version, redis.call('HGET', KEYS[1], 's')}
end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now_ms - tonumber(ARGV[3]))
if not redis.call('ZSCORE', KEYS[3], ARGV[5])
   and redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then
  redis.call('DEL', KEYS[2])
  return {2}
end
return {1}
"""
# The write of both paths. KEYS: state, lock, client set. ARGV: new version, state, ttl ms,
# member, then the lock token (held) or '' and the expected version (optimistic). 1 if written.
_WRITE = """
if ARGV[5] ~= '' then
  if redis.call('GET', KEYS[2]) ~= ARGV[5] then return 0 end
elseif redis.call('EXISTS', KEYS[2]) == 1 or redis.call('HGET', KEYS[1], 'v') ~= ARGV[6] then
  return 0
end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('HSET', KEYS[1], 'v', ARGV[1], 's', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[3], now_ms, ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
if ARGV[5] ~= '' then redis.call('DEL', KEYS[2]) end
return 1
"""
# KEYS: lock. ARGV: token.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: state, lock, client set. ARGV: member, channel. 1 if the stream existed.
_DROP = """
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[1])
return existed
"""


def connect(url: str) -> redis.Redis:
    """A client for ``url`` that answers now, or ConfigError naming the URL."""
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise ConfigError(f"cannot reach Redis at {url!r}: {exc.__class__.__name__}") from None
    return client


def persistence_problems(client: redis.Redis) -> list[str]:
    """What makes this Redis write stream windows to disk (empty if nothing, or if CONFIG is
    not allowed, as on some managed services: their documentation must say then)."""
    try:
        config = client.config_get("save") | client.config_get("appendonly")
    except redis.RedisError:
        return []
    problems = []
    if config.get("save"):
        problems.append('RDB snapshots are on (set save "")')
    if config.get("appendonly") == "yes":
        problems.append("the append-only file is on (set appendonly no)")
    return problems


@dataclass
class _Cached:
    """This worker's copy of the state it wrote last, and whether to try writing the next
    append optimistically (no: another worker had changed the stream since)."""

    version: bytes
    state: WindowState
    used: float
    optimistic: bool


class RedisStreamStore(StreamStore):
    """Stream states shared by every worker through one Redis database."""

    shared = True

    def __init__(self, settings: Settings, client: redis.Redis | None = None) -> None:
        self.settings = settings
        self.redis = client or connect(settings.streams_url)
        for problem in persistence_problems(self.redis):
            log.warning("Redis for stream windows writes to disk: %s", problem)
        self._open = self.redis.register_script(_OPEN)
        self._write = self.redis.register_script(_WRITE)
        self._release = self.redis.register_script(_RELEASE)
        self._drop = self.redis.register_script(_DROP)
        self._ttl_ms = max(1, int(settings.stream_ttl_seconds * 1000))
        self._lock_ms = max(1, int(settings.stream_lock_seconds * 1000))
        self._cache: OrderedDict[str, _Cached] = OrderedDict()  # least recently used first
        self._cache_lock = threading.Lock()
        self._listener: Any = None
        try:  # no cache without DELETE notices: a cache must never outlive its stream
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(**{DROPPED: self._dropped})
            self._listener = pubsub.run_in_thread(sleep_time=1.0, daemon=True,
                                                  exception_handler=self._deaf)
        except redis.RedisError as exc:
            log.warning("no stream cache in this worker (Redis pub/sub failed: %s)",
                        exc.__class__.__name__)

    @staticmethod
    def keys(key: StreamKey) -> tuple[list[str], str]:
        """The (state, lock, client set) keys of a stream and its member name in the set."""
        client, conversation_id = key
        stream = hashlib.blake2b(f"{client}\0{conversation_id}".encode(),
                                 digest_size=16).hexdigest()
        owner = hashlib.blake2b(client.encode(), digest_size=16).hexdigest()
        return [f"{PREFIX}stream:{stream}", f"{PREFIX}lock:{stream}",
                f"{PREFIX}client:{owner}"], stream

    def update(self, key: StreamKey, change: Change[T]) -> tuple[T, WindowState]:
        """One round trip when this worker wrote the stream's current version (and the change
        queues nothing); else the held path of ``open``."""
        keys, member = self.keys(key)
        cached = self._cached(member)
        if cached is not None and cached.optimistic:
            state = cached.state.copy()
            try:
                result = change(state, False)
            except NeedsExclusive:
                pass
            else:
                version = secrets.token_bytes(8)
                with _unavailable_as_busy():
                    written = self._write(keys=keys, args=[version, _encode(state), self._ttl_ms,
                                                           member, "", cached.version])
                if written:
                    self._remember(member, version, state, optimistic=True)
                    return result, state
        return super().update(key, change)

    @contextmanager
    def open(self, key: StreamKey) -> Iterator[WindowState]:
        keys, member = self.keys(key)
        cached = self._cached(member)
        token = secrets.token_hex(8)
        with _unavailable_as_busy():
            answer = self._acquire(keys, token, member, cached.version if cached else b"")
        if len(answer) == 3:
            state = _decode(answer[2])
        else:  # a new stream, or unchanged since this worker wrote it
            state = cached.state.copy() if len(answer) == 2 else WindowState()
        try:
            yield state
        except BaseException:
            with _unavailable_as_busy():
                self._release(keys=keys[1:2], args=[token])
            raise
        # written only if the lock is still ours: a DELETE meanwhile, or an append that took
        # longer than the timeout, leaves the state as the other party left it
        version = secrets.token_bytes(8)
        with _unavailable_as_busy():
            written = self._write(keys=keys, args=[version, _encode(state), self._ttl_ms,
                                                   member, token])
        if written:  # optimistic next time unless another worker had written it meanwhile
            self._remember(member, version, state, optimistic=len(answer) != 3)
        else:
            self._forget(member)
            log.warning("a stream append was not kept: the stream ended meanwhile or the "
                        "append held it past the lock timeout (%.1f s)",
                        self.settings.stream_lock_seconds)

    def _acquire(self, keys: list[str], token: str, member: str, version: bytes) -> list[Any]:
        deadline = time.monotonic() + 2 * self.settings.stream_lock_seconds
        pause = 0.0005
        while True:
            answer = self._open(keys=keys, args=[token, self._lock_ms, self._ttl_ms,
                                                 self.settings.max_streams_per_client, member,
                                                 version])
            if answer[0] == 1:
                return answer
            if answer[0] == 2:
                raise StreamQuotaExceeded(
                    f"{self.settings.max_streams_per_client} open streams per client")
            if time.monotonic() > deadline:
                raise StreamBusy("stream held by another append past the lock timeout")
            time.sleep(pause)
            pause = min(pause * 2, 0.02)

    # -- this worker's cache -------------------------------------------------------------------
    def _cached(self, member: str) -> _Cached | None:
        now = time.monotonic()
        with self._cache_lock:
            cutoff = now - self.settings.stream_ttl_seconds
            while self._cache and next(iter(self._cache.values())).used < cutoff:
                self._cache.popitem(last=False)
            return self._cache.get(member)

    def _remember(self, member: str, version: bytes, state: WindowState,
                  optimistic: bool) -> None:
        if self._listener is None:
            return
        with self._cache_lock:
            self._cache[member] = _Cached(version, state, time.monotonic(), optimistic)
            self._cache.move_to_end(member)
            while len(self._cache) > self.settings.max_streams:
                self._cache.popitem(last=False)

    def _forget(self, member: str) -> None:
        with self._cache_lock:
            self._cache.pop(member, None)

    def _dropped(self, message: dict[str, Any]) -> None:
        self._forget(message["data"].decode())

    def _deaf(self, exc: BaseException, pubsub: Any, thread: Any) -> None:
        """Pub/sub lost: DELETE notices could be missed, so the cache goes, for good."""
        if self._listener is not None:  # not closing
            log.warning("stream cache off in this worker (Redis pub/sub failed: %s)",
                        exc.__class__.__name__)
        thread.stop()
        self._listener = None
        with self._cache_lock:
            self._cache.clear()

    def drop(self, key: StreamKey) -> bool:
        keys, member = self.keys(key)
        self._forget(member)
        return bool(self._drop(keys=keys, args=[member, DROPPED]))

    def count(self) -> int:
        return sum(1 for _ in self.redis.scan_iter(match=f"{PREFIX}stream:*", count=1000))

    def close(self) -> None:
        """Leave the shared states to the other workers; only this client's sockets close."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
        with self._cache_lock:
            self._cache.clear()
        self.redis.close()


@contextmanager
def _unavailable_as_busy() -> Iterator[None]:
    """A Redis that does not answer (or refuses a write when full) makes the append fail
    with 503 and nothing kept, like a busy stream; the error names no stream content."""
    try:
        yield
    except redis.RedisError as exc:
        log.warning("Redis for stream windows failed: %s", exc.__class__.__name__)
        raise StreamBusy(f"stream state unavailable ({exc.__class__.__name__})") from None


_ENCODER = msgspec.msgpack.Encoder()


def _encode(state: WindowState) -> bytes:
    return _ENCODER.encode(state.to_json())


def _decode(raw: bytes) -> WindowState:
    return WindowState.from_json(msgspec.msgpack.decode(raw))


def state_of(store: RedisStreamStore, key: StreamKey) -> dict[str, Any] | None:
    """The stored state of a stream, or None (for tests and operators' checks)."""
    raw = store.redis.hget(store.keys(key)[0][0], "s")
    return msgspec.msgpack.decode(raw) if raw else None
