"""Input limits: request body size (413), conversation shape (413/422) and per-key rate (429)."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from groomwatch.data.record import Conversation, RecordError, conversation_from_dict
from groomwatch.serving.redis_shared import SERVER_NOW, hashed_key, uses_redis
from groomwatch.serving.schemas import ConversationIn
from groomwatch.serving.settings import Settings

if TYPE_CHECKING:
    import redis


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware refusing bodies over ``limit`` bytes, declared or actually streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = f'{{"detail":"request body larger than {self.limit} bytes"}}'.encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def to_conversation(item: ConversationIn, settings: Settings) -> Conversation:
    """Check the limits and cross-field rules pydantic cannot express; 413/422 with a reason."""
    cid = item.conversation_id
    if len(item.messages) > settings.max_messages:
        raise HTTPException(413, f"conversation {cid!r} has {len(item.messages)} messages; "
                                 f"the limit is {settings.max_messages}")
    if not item.messages:
        raise HTTPException(422, f"conversation {cid!r} has no messages")
    for i, message in enumerate(item.messages):
        if len(message.text) > settings.max_message_chars:
            raise HTTPException(413, f"conversation {cid!r} messages[{i}].text is longer than "
                                     f"{settings.max_message_chars} characters")
    try:
        return conversation_from_dict(item.model_dump())
    except RecordError as exc:
        raise HTTPException(422, f"conversation {cid!r}: {exc}") from None


class RateLimiter:
    """A token bucket per API client: ``rate`` requests a second, bursts up to ``burst``.
    The buckets live in this process; ``RedisRateLimiter`` shares them between workers."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Take a token for ``client``, or refuse with 429 and the seconds until one is back."""
        self._answer(self._take(client))

    async def acheck(self, client: str) -> None:
        """``check`` for the event loop (this bucket is a dict update: no I/O to wait for)."""
        self.check(client)

    async def aclose(self) -> None:
        """Release connections at shutdown (this one holds none)."""

    def _answer(self, wait: float) -> None:
        if wait > 0:
            raise HTTPException(429, f"rate limit of {self.rate:g} requests/s exceeded",
                                headers={"Retry-After": str(max(1, math.ceil(wait)))})

    def _take(self, client: str) -> float:
        """0 if a token was taken, else the seconds until one will be there."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return (1.0 - tokens) / self.rate
            self._buckets[client] = (tokens - 1.0, now)
            return 0.0


# The same bucket in one Lua script, on the Redis server's clock (one clock for all workers).
# KEYS: bucket. ARGV: rate, burst. Returns the wait as a string (Lua numbers become integers).
_TAKE = SERVER_NOW + """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local last = tonumber(bucket[2]) or t
local tokens = math.min(burst, (tonumber(bucket[1]) or burst) + (t - last) * rate)
local wait = 0
if tokens < 1 then wait = (1 - tokens) / rate else tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
           'at', string.format('%.17g', t))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return string.format('%.17g', wait)
"""


class RedisRateLimiter(RateLimiter):
    """Token buckets in Redis, so N workers together allow ``rate`` per client, not N times.

    ``acheck`` awaits Redis with an asyncio client: a blocking call on the event loop held
    every other request of the worker for the round trip (on a busy machine a millisecond or
    more: one worker streamed a third as fast through Redis as in-process, at a third more CPU).
    """

    def __init__(self, rate: float, burst: int, client: redis.Redis, url: str) -> None:
        super().__init__(rate, burst)
        self._client = client
        self._script = client.register_script(_TAKE)
        self._url = url
        #: the event loop, its asyncio client and the script on that client
        self._async: tuple[asyncio.AbstractEventLoop, Any, Any] | None = None

    def _take(self, client: str) -> float:
        return float(self._script(keys=[_bucket(client)], args=[self.rate, self.burst]))

    async def acheck(self, client: str) -> None:
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:  # connections bind to a loop
            import redis.asyncio

            connection = redis.asyncio.Redis.from_url(self._url, socket_timeout=5,
                                                      socket_connect_timeout=5)
            self._async = (loop, connection, connection.register_script(_TAKE))
        wait = await self._async[2](keys=[_bucket(client)], args=[self.rate, self.burst])
        self._answer(float(wait))

    async def aclose(self) -> None:
        """Close both clients (the asyncio one on its own loop: a socket belongs to one)."""
        held, self._async = self._async, None
        if held is not None and held[0] is asyncio.get_running_loop():
            await held[1].aclose()
        self._client.close()


def _bucket(client: str) -> str:
    return hashed_key("rate", client)


def rate_limiter(settings: Settings) -> RateLimiter:
    """In Redis when stream state is (several workers), else in this process."""
    if uses_redis(settings):
        from groomwatch.serving.stream_store_redis import connect

        return RedisRateLimiter(settings.rate_per_second, settings.rate_burst,
                                connect(settings.streams_url), settings.streams_url)
    return RateLimiter(settings.rate_per_second, settings.rate_burst)
