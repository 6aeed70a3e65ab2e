"""What the limits kept in Redis share: when Redis is used, how keys are named, the clock.

Rate-limit buckets (``limits.py``) and failed-login counts (``login_throttle_redis.py``) must
hold across several workers, so both live in Redis when ``settings.streams_url`` names one.
Their Lua scripts read the time from the Redis server (``TIME``): one clock for every worker,
whatever the hosts' clocks say. Keys are a hash under a kind of their own
(``groomwatch:rate:``, ``groomwatch:login:``), so no client, account or address appears in a
key, and no kind can collide with another or with the stream store's ``stream:``, ``lock:``
and ``client:`` keys.
"""

from __future__ import annotations

import hashlib

from groomwatch.serving.settings import Settings

PREFIX = "groomwatch:"
SCHEMES = ("redis://", "rediss://", "unix://")

#: Lua: ``t``, the Redis server's time in seconds (put at the top of a script).
SERVER_NOW = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
"""


def uses_redis(settings: Settings) -> bool:
    """Whether state shared by the workers lives in Redis (``--streams redis://...``)."""
    return settings.streams_url.startswith(SCHEMES)


def hashed_key(kind: str, name: str) -> str:
    """The Redis key of ``name`` (a client, ``user:NAME``, ``addr:IP``) among keys of ``kind``."""
    return f"{PREFIX}{kind}:" + hashlib.blake2b(name.encode(), digest_size=16).hexdigest()
