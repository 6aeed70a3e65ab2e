"""A clean 500 for an unexpected error, on a connection that stays open.

Starlette answers an unhandled exception with a 500 and then raises it again for the server to
log; uvicorn, seeing an exception after the answer was sent, closes the connection, so a client's
next request on that kept-alive connection was reset. This middleware answers the 500 itself and
does not raise again. It logs the exception's class and the stack, never its message: database
and codec errors quote their input, and that input may be chat text.
"""

from __future__ import annotations

import logging
import traceback

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from groomwatch.serving.metrics import SECURITY_HEADERS, route_label

_BODY = b'{"detail":"internal server error"}'


class InternalErrors:
    """ASGI middleware, outermost: any exception before the answer started becomes a 500."""

    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:  # half an answer is on the wire: only closing the connection is honest
                raise
            self.logger.error("%s %s failed: %s\n%s", scope["method"], route_label(scope),
                              type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__)))
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(_BODY)).encode()),
                                    *SECURITY_HEADERS]})
            await send({"type": "http.response.body", "body": _BODY})
