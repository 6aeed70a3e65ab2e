"""The FastAPI application factory: storage, detector, API, reviewer pages, health and metrics.

``create_app`` migrates the database to the newest schema and purges expired content before it
serves anything, so a server never runs against an old schema or holds content past retention.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from groomwatch import __version__
from groomwatch.errors import ConfigError
from groomwatch.models.base import Detector
from groomwatch.serving import api, audit, retention, web
from groomwatch.serving.auth import ApiKeyLookup, login_throttle
from groomwatch.serving.batcher import ScoringBatcher
from groomwatch.serving.counters import CounterBuffer
from groomwatch.serving.db import Database
from groomwatch.serving.limits import BodySizeLimit, rate_limiter
from groomwatch.serving.metrics import Instrument, Metrics
from groomwatch.serving.migrations import upgrade
from groomwatch.serving.scoring import Scorer
from groomwatch.serving.server_errors import InternalErrors
from groomwatch.serving.settings import Settings
from groomwatch.serving.streams import Streams

log = logging.getLogger("groomwatch.serving")


def _load_detector(settings: Settings) -> Detector:
    from groomwatch.models.registry import load_detector

    if settings.model_dir is None:
        raise ConfigError("no model given: pass --model DIR (a saved detector)")
    return load_detector(settings.model_dir)


def _validation_problem(_: Request, exc: RequestValidationError) -> JSONResponse:
    """422 naming each bad field; the offending input is not echoed back (it may be chat text)."""
    problems = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": problems}, status_code=422)


def create_app(settings: Settings, detector: Detector | None = None) -> FastAPI:
    """Build the app; ``detector`` overrides ``settings.model_dir`` (tests pass one in)."""
    audit.audit_key()  # no key, no server: every login and decision writes a keyed entry
    detector = detector or _load_detector(settings)
    db = Database(settings.db_url)
    try:
        upgrade(db)
    except SQLAlchemyError as exc:
        raise ConfigError(f"cannot open the review database {settings.db_url!r}: "
                          f"{exc.__class__.__name__}") from None
    retention.purge(db, settings.retention_days, actor="startup")
    counts = CounterBuffer(db)
    streams = Streams(detector, db, settings, counts)
    batcher = ScoringBatcher(Scorer(detector, db, settings, counts))
    api_keys = ApiKeyLookup(db)
    limiter = rate_limiter(settings)  # in Redis when streams are
    throttle = login_throttle(settings)  # the same

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        batcher.close()
        streams.close()
        await limiter.aclose()
        throttle.close()
        counts.flush(force=True)
        api_keys.close()
        db.dispose()

    app = FastAPI(title="groomwatch review service", version=__version__, lifespan=lifespan,
                  description="Score conversations, queue flags for human review, export "
                              "confirmed reports. Unflagged conversations are never stored.")
    app.state.settings = settings
    app.state.db = db
    app.state.detector = detector
    app.state.counts = counts
    app.state.api_keys = api_keys
    app.state.login_throttle = throttle
    app.state.batcher = batcher
    app.state.streams = streams
    app.state.rate_limiter = limiter
    app.state.metrics = Metrics()

    app.include_router(api.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=str(web.UI / "static")), name="static")
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(web.LoginRequired,
                              lambda *_: RedirectResponse("/login", status_code=303))

    app.add_middleware(Instrument, metrics=app.state.metrics, logger=log)
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    app.add_middleware(web.SameOrigin)
    app.add_middleware(InternalErrors, logger=log)  # outermost: catches what the others raise

    @app.get("/health", tags=["operations"])
    async def health() -> dict[str, str]:
        """The process is up (on the event loop: it answers even when every worker thread
        waits for the database)."""
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"], responses={503: {"description": "not ready"}})
    def ready() -> JSONResponse:
        """The database answers and a detector is loaded."""
        try:
            with db.transaction() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ready", "detector": detector.name})

    @app.get("/metrics", tags=["operations"], response_class=PlainTextResponse)
    def metrics() -> Response:
        """Prometheus metrics."""
        return Response(app.state.metrics.render(app.state),
                        media_type="text/plain; version=0.0.4")

    return app
