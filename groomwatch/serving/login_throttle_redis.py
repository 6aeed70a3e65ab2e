"""Failed-login counts in Redis, shared by every worker and kept across restarts.

``LoginThrottle`` counts in one process: with N workers a guesser whose connections spread
over them got N times the free tries and N lock ladders, and a restart forgot every lock. Here
each key (``user:NAME``, ``addr:IP``, ``device:NAME``) is a Redis hash under
``groomwatch:login:<hash>`` holding its failures in a row and the server time of the last one.
Each operation is one atomic step on the server's clock: ``wait`` and ``failed`` are Lua
scripts reading ``TIME``, ``succeeded`` one ``DEL``. The ladder itself (which failure locks for
how long) is ``LoginThrottle.lock_seconds``, the same for both backends: a key is locked until
its last failure plus that time. Every failure sets the key to expire once neither its count
nor its lock can matter any more, so memory is bounded by Redis, without a sweep.

Redis down: ``wait`` and ``failed`` answer 503 with the reason (fail closed: no password is
checked, and no guess is answered, without the shared count; a per-process fallback would give
a guesser N times the tries again). A 503 from ``failed`` rolls back that try's
``login.failed`` audit row with the login's transaction; the warning in the log stays.
``succeeded`` comes after a right password has opened the session, so there a failure is only
logged: the stale count expires by itself.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from fastapi import HTTPException

from groomwatch.serving.auth import LoginThrottle
from groomwatch.serving.redis_shared import SERVER_NOW, hashed_key

log = logging.getLogger("groomwatch.serving")

# KEYS: the keys' hashes. Returns the server time, then each key's failures and last failure
# time ('0' for a key with none), as strings (Lua numbers would become integers).
_WAIT = SERVER_NOW + """
local out = {string.format('%.17g', t)}
for _, key in ipairs(KEYS) do
  local tries = redis.call('HMGET', key, 'f', 'last')
  out[#out + 1] = tries[1] or '0'
  out[#out + 1] = tries[2] or '0'
end
return out
"""
# KEYS: the keys' hashes. ARGV: forget seconds, expiry ms. Counts a failure on each (from 1
# again after forget seconds without one); returns the counts.
_FAILED = SERVER_NOW + """
local forget = tonumber(ARGV[1])
local counts = {}
for i, key in ipairs(KEYS) do
  local last = tonumber(redis.call('HGET', key, 'last'))
  if not last or t - last > forget then redis.call('HSET', key, 'f', 0) end
  counts[i] = redis.call('HINCRBY', key, 'f', 1)
  redis.call('HSET', key, 'last', string.format('%.17g', t))
  redis.call('PEXPIRE', key, ARGV[2])
end
return counts
"""


class RedisLoginThrottle(LoginThrottle):
    """``LoginThrottle``'s contract and ladder (``free``, ``base_seconds``, ``max_seconds``,
    ``forget_seconds``) with the counts in Redis; its clock and ``max_keys`` are unused."""

    def __init__(self, client: redis.Redis, **ladder: Any) -> None:
        super().__init__(**ladder)
        self._client = client
        self._wait = client.register_script(_WAIT)
        self._failed = client.register_script(_FAILED)
        #: a key matters until its count is forgotten or its lock ends, whichever is later
        self._expiry_ms = math.ceil(max(self.forget_seconds, self.max_seconds) * 1000)

    def wait(self, keys: list[str]) -> float:
        with _unavailable_as_503():
            now, *tries = self._wait(keys=_hashed(keys))
        pairs = zip(tries[::2], tries[1::2], strict=True)
        return max([float(last) + self.lock_seconds(int(failures)) - float(now)
                    for failures, last in pairs if int(failures)] + [0.0])

    def failed(self, keys: list[str]) -> list[tuple[str, float]]:
        with _unavailable_as_503():
            counts = self._failed(keys=_hashed(keys), args=[self.forget_seconds, self._expiry_ms])
        return [(key, seconds) for key, count in zip(keys, counts, strict=True)
                if (seconds := self.lock_seconds(int(count)))]

    def succeeded(self, keys: list[str]) -> None:
        try:
            self._client.delete(*_hashed(keys))
        except redis.RedisError as exc:
            log.warning("login throttle: Redis failed (%s) clearing the failures of a login; "
                        "they expire by themselves", exc.__class__.__name__)

    def close(self) -> None:
        self._client.close()


def _hashed(keys: list[str]) -> list[str]:
    return [hashed_key("login", key) for key in keys]


@contextmanager
def _unavailable_as_503() -> Iterator[None]:
    """A Redis that does not answer refuses the login with 503 and the reason; the log names
    the error's class only (no account, address or password)."""
    try:
        yield
    except redis.RedisError as exc:
        log.warning("login throttle: Redis failed (%s); login refused with 503",
                    exc.__class__.__name__)
        raise HTTPException(503, "login is unavailable: the shared count of failed logins "
                                 f"(Redis) did not answer ({exc.__class__.__name__}); try "
                                 "again shortly", headers={"Retry-After": "5"}) from None
