"""Prometheus metrics, one registry per app so several apps (tests) never share counters."""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from groomwatch.serving.queue import queue_depth

PAGES = ("/login", "/logout", "/", "/audit", "/queue/next")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("groomwatch_requests", "HTTP requests", ["route", "status"],
                                registry=self.registry)
        self.latency = Histogram("groomwatch_request_seconds", "Request latency", ["route"],
                                 registry=self.registry,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
        self.queue = Gauge("groomwatch_queue_items", "Open review items", ["state"],
                           registry=self.registry)
        self.streams = Gauge("groomwatch_open_streams", "Streams held in memory",
                             registry=self.registry)

    def render(self, app_state) -> bytes:
        with app_state.db.transaction() as session:
            for state, n in queue_depth(session).items():
                self.queue.labels(state).set(n)
        self.streams.set(len(app_state.streams))
        return generate_latest(self.registry)


def route_label(scope: Scope) -> str:
    """The route template (``/v1/streams/{conversation_id}/messages``), never raw ids."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    # same-origin, not no-referrer: under no-referrer browsers send "Origin: null" on the site's
    # own form posts, and the Origin check (web.SameOrigin) needs the real one
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


class Instrument:
    """ASGI middleware: count and time requests, log one line each at DEBUG (WARNING for a
    server error; no bodies, no text), and add the security headers every answer carries."""

    def __init__(self, app: ASGIApp, metrics: Metrics, logger) -> None:
        self.app = app
        self.metrics = metrics
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = route_label(scope)
            elapsed = time.perf_counter() - start
            self.metrics.requests.labels(route, str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            # DEBUG: at INFO every worker wrote a line per request, costing CPU at scale
            # and flooding the log; server errors stay visible
            self.logger.log(logging.WARNING if status >= 500 else logging.DEBUG,
                            "%s %s %d %.1fms", scope["method"], route, status, elapsed * 1000)
