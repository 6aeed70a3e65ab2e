"""The review database: tables, engine set-up and the session helper every module uses.

Only flagged conversations ever reach these tables; unflagged traffic touches ``counters`` alone.
SQLite (the embedded default) gets WAL mode and ``BEGIN IMMEDIATE`` transactions so concurrent
writers queue for the lock instead of failing; PostgreSQL works by URL unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from groomwatch.errors import ConfigError

ROLES = ("reviewer", "lead", "auditor", "admin")
#: Review states: waiting for anyone, waiting for a second verdict, waiting for a lead, final.
QUEUED, SECOND, ESCALATED, CONFIRMED, DISMISSED = (
    "queued", "second", "escalated", "confirmed", "dismissed",
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Review(Base):
    """One flagged conversation waiting for (or past) human review."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(100))
    conversation_id: Mapped[str] = mapped_column(String(500))
    origin: Mapped[str] = mapped_column(String(20))  # "batch" or "stream"
    score: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    needs_two: Mapped[bool] = mapped_column(default=False)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: The conversation plus per-message contributions; NULL once dismissed or purged.
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True),
                                                           nullable=True)
    content_deleted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (Index("ix_reviews_queue", "status", "score", "created_at"),
                      Index("ix_reviews_conversation", "conversation_id", "client"))


class Decision(Base):
    """One reviewer's verdict on one review; a review may collect several (second opinions)."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(50))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    #: Set by ``users disable``: the account can no longer log in and its sessions are gone.
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class WebSession(Base):
    """A logged-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class ApiKey(Base):
    """A provider's key; only its SHA-256 is kept (keys are 256-bit random, so no salt needed)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    #: Set by ``users revoke-key``: the key is refused from the next request on.
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEntry(Base):
    """Append-only log; ``hash`` covers this entry and ``prev_hash``, chaining every entry."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Counter(Base):
    """Named totals (scored, flagged, ...): the only trace unflagged traffic leaves."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


#: Execution option that makes SQLite begin a deferred (read) transaction.
READ_ONLY = "groomwatch_read_only"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and immediate transactions."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            _make_sqlite_serialise(engine)
            return engine
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"bad database URL {url!r}: {exc}") from None


def _make_sqlite_serialise(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below take over
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a committed transaction survives the process being killed.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted content is overwritten with zeros, not just unlinked (see Database.scrub).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # A reader takes no write lock: in WAL mode it reads a snapshot while writers commit.
        reading = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if reading else "BEGIN IMMEDIATE")


class Database:
    """Engine plus session factory; ``with db.transaction() as s:`` commits or rolls back."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads (statistics, ``audit verify``): on SQLite it holds no
        write lock, so a report run against a live database never delays the server's
        commits. Anything it writes is rolled back."""
        with (self.engine.connect().execution_options(**{READ_ONLY: True}) as connection,
              Session(connection, expire_on_commit=False) as session):
            try:
                yield session
            finally:
                session.rollback()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def scrub(self) -> bool:
        """After content was deleted: move the WAL into the database file and truncate it.

        With ``secure_delete`` the deleted cells are zeroed in the pages written back, and the
        truncation drops the WAL frames that still held the old text. False (and a warning)
        when readers or writers kept the checkpoint from finishing within the busy timeout:
        the next scrub or automatic checkpoint finishes the job. PostgreSQL keeps dead row
        versions until VACUUM; that is documented, not handled here.
        """
        if not self.is_sqlite:
            return True
        raw = self.engine.raw_connection()  # no BEGIN: a checkpoint runs outside transactions
        cursor = raw.cursor()
        waited = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        try:
            # a pending TRUNCATE holds off new writers: wait 2 s at most, not the usual 30
            cursor.execute("PRAGMA busy_timeout=2000")
            busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(waited)}")
            raw.close()
        if busy:
            logging.getLogger("groomwatch.serving").warning(
                "WAL checkpoint busy: deleted content stays in the -wal file until the next one")
        return not busy

    def dispose(self) -> None:
        self.engine.dispose()
