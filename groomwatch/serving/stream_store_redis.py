"""Stream windows in Redis, so any of several workers can take any message of any stream.

Per stream, one key holds its ``WindowState`` as JSON (only the window: at most ``window``
messages) with a TTL of ``stream_ttl_seconds`` renewed by every append, so Redis itself
expires idle streams. Appends are atomic per stream by a lock key with a timeout
(``stream_lock_seconds``): a Lua script takes the lock and reads the state in one round trip,
and another writes the new state only while the lock is still this append's, then releases
it. A worker killed mid-append leaves its stream locked until the timeout, never half-written.
Per client, a sorted set of its open streams (hashed keys, last append time) enforces the
quota. Keys are hashes of (client, conversation ID); no text or ID appears in a key.

Redis must not write this data to disk: run it with ``save ""`` and ``appendonly no``. A
server that persists gets a warning in the log at start (``persistence_problems``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from groomwatch.errors import ConfigError
from groomwatch.serving.settings import Settings
from groomwatch.serving.stream_store import (
    StreamBusy,
    StreamKey,
    StreamQuotaExceeded,
    StreamStore,
    WindowState,
)

log = logging.getLogger("groomwatch.serving")
PREFIX = "groomwatch:"

# KEYS: state, lock, client set. ARGV: token, lock ms, ttl ms, quota, member.
# Returns {0} if another append holds the stream, {2} if a new stream is over the client's
# quota, else {1, state or false}. Streams idle for the TTL leave the client's set here.
_OPEN = """
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
local state = redis.call('GET', KEYS[1])
if state then return {1, state} end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now_ms - tonumber(ARGV[3]))
if not redis.call('ZSCORE', KEYS[3], ARGV[5])
   and redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then
  redis.call('DEL', KEYS[2])
  return {2}
end
return {1, false}
"""
# KEYS: state, lock, client set. ARGV: token, state, ttl ms, member. 1 if written.
_WRITE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[3], now_ms, ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
redis.call('DEL', KEYS[2])
return 1
"""
# KEYS: lock. ARGV: token.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: state, lock, client set. ARGV: member. 1 if the stream existed.
_DROP = """
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
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

    @staticmethod
    def keys(key: StreamKey) -> tuple[list[str], str]:
        """The (state, lock, client set) keys of a stream and its member name in the set."""
        client, conversation_id = key
        stream = hashlib.blake2b(f"{client}\0{conversation_id}".encode(),
                                 digest_size=16).hexdigest()
        owner = hashlib.blake2b(client.encode(), digest_size=16).hexdigest()
        return [f"{PREFIX}stream:{stream}", f"{PREFIX}lock:{stream}",
                f"{PREFIX}client:{owner}"], stream

    @contextmanager
    def open(self, key: StreamKey) -> Iterator[WindowState]:
        keys, member = self.keys(key)
        token = secrets.token_hex(8)
        with _unavailable_as_busy():
            raw = self._acquire(keys, token, member)
        state = WindowState.from_json(json.loads(raw)) if raw else WindowState()
        try:
            yield state
        except BaseException:
            with _unavailable_as_busy():
                self._release(keys=keys[1:2], args=[token])
            raise
        # written only if the lock is still ours: a DELETE meanwhile, or an append that took
        # longer than the timeout, leaves the state as the other party left it
        with _unavailable_as_busy():
            written = self._write(keys=keys, args=[token, _encode(state), self._ttl_ms, member])
        if not written:
            log.warning("a stream append was not kept: the stream ended meanwhile or the "
                        "append held it past the lock timeout (%.1f s)",
                        self.settings.stream_lock_seconds)

    def _acquire(self, keys: list[str], token: str, member: str) -> bytes | None:
        deadline = time.monotonic() + 2 * self.settings.stream_lock_seconds
        pause = 0.0005
        while True:
            answer = self._open(keys=keys, args=[token, self._lock_ms, self._ttl_ms,
                                                 self.settings.max_streams_per_client, member])
            if answer[0] == 1:
                return answer[1]
            if answer[0] == 2:
                raise StreamQuotaExceeded(
                    f"{self.settings.max_streams_per_client} open streams per client")
            if time.monotonic() > deadline:
                raise StreamBusy("stream held by another append past the lock timeout")
            time.sleep(pause)
            pause = min(pause * 2, 0.02)

    def drop(self, key: StreamKey) -> bool:
        keys, member = self.keys(key)
        return bool(self._drop(keys=keys, args=[member]))

    def count(self) -> int:
        return sum(1 for _ in self.redis.scan_iter(match=f"{PREFIX}stream:*", count=1000))

    def close(self) -> None:
        """Leave the shared states to the other workers; only this client's sockets close."""
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


def _encode(state: WindowState) -> str:
    return json.dumps(state.to_json(), separators=(",", ":"))


def state_of(store: RedisStreamStore, key: StreamKey) -> dict[str, Any] | None:
    """The stored state of a stream as JSON, or None (for tests and operators' checks)."""
    raw = store.redis.get(store.keys(key)[0][0])
    return json.loads(raw) if raw else None
