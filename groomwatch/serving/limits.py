"""Input limits: request body size (413), conversation shape (413/422) and per-key rate (429)."""

from __future__ import annotations

import math
import threading
import time

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from groomwatch.data.record import Conversation, RecordError, conversation_from_dict
from groomwatch.serving.schemas import ConversationIn
from groomwatch.serving.settings import Settings


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
    """A token bucket per API client: ``rate`` requests a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
                raise HTTPException(429, f"rate limit of {self.rate:g} requests/s exceeded",
                                    headers={"Retry-After": str(max(1, math.ceil(wait)))})
            self._buckets[client] = (tokens - 1.0, now)
