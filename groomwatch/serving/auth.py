"""Accounts, passwords, web sessions, API keys and the role checks every route uses.

Passwords are hashed with Argon2 (argon2-cffi) and must be at least 12 characters and not
common or easily guessed (zxcvbn). API keys and session tokens are 256-bit random values, so a
plain SHA-256 of them is safe to store and cheap to check on every request. Keys are looked up
on every request (no cache), so a revoked key or disabled account is refused from the next
request on. Failed logins are throttled per account and per address (``LoginThrottle``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from groomwatch.errors import ConfigError
from groomwatch.serving import audit
from groomwatch.serving.db import ROLES, ApiKey, Database, User, WebSession, utcnow
from groomwatch.serving.redis_shared import uses_redis
from groomwatch.serving.settings import Settings

SESSION_COOKIE = "gw_session"
LOGIN_CSRF_COOKIE = "gw_login_csrf"
#: Set after a successful login: proves "this browser logged in as NAME before", which lets it
#: past that account's lock (see LoginThrottle), so an attacker cannot lock a lead out.
DEVICE_COOKIE = "gw_device"
MIN_PASSWORD_CHARS = 12
_hasher = PasswordHasher()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_secret(expected: str, given: str) -> bool:
    """Constant-time comparison that is False, not a TypeError (a 500), when a hostile form
    field or cookie holds non-ASCII characters."""
    return hmac.compare_digest(expected.encode("utf-8", "surrogatepass"),
                               given.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class Principal:
    """Who is calling: a reviewer account (``user_id`` set) or an API client (``role='client'``)."""

    name: str
    role: str
    user_id: int | None = None
    csrf_token: str = ""


# -- accounts and keys (used by the CLI and tests) ---------------------------------------------
def check_password_policy(name: str, password: str) -> None:
    """Refuse short passwords and those on zxcvbn's list of common ones or easy to guess."""
    from zxcvbn import zxcvbn
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    if len(password) < MIN_PASSWORD_CHARS:
        raise ConfigError(f"the password has {len(password)} characters; it needs at least "
                          f"{MIN_PASSWORD_CHARS}")
    common = password.lower() in FREQUENCY_LISTS["passwords"]
    # zxcvbn's score 3 means at least 10^8 guesses; its matchers are slow on long inputs
    if common or zxcvbn(password[:64], user_inputs=[name])["score"] < 3:
        raise ConfigError("the password is common or easy to guess; choose a longer one, e.g. "
                          "several unrelated words (or use --generate-password)")


#: ``users.name`` and ``api_keys.client`` are VARCHAR(100).
MAX_NAME_CHARS = 100


def _check_name(kind: str, name: str) -> None:
    """The same limits on every backend: SQLite would keep an over-long name or a NUL that
    PostgreSQL refuses with a database error."""
    if not name.strip():
        raise ConfigError(f"a {kind} name must not be empty")
    if len(name) > MAX_NAME_CHARS or "\x00" in name:
        raise ConfigError(f"a {kind} name has at most {MAX_NAME_CHARS} characters and no NUL")


def add_user(db: Database, name: str, role: str, password: str, actor: str = "cli") -> None:
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    _check_name("user", name)
    check_password_policy(name, password)
    try:
        with db.transaction() as session:
            session.add(User(name=name, role=role, password_hash=_hasher.hash(password),
                             created_at=utcnow()))
            session.flush()
            audit.record(session, actor, "account.create", f"user:{name}", role=role)
    except IntegrityError:
        raise ConfigError(f"user {name!r} already exists") from None


def add_api_key(db: Database, client: str, actor: str = "cli") -> str:
    """Create a key for ``client`` and return it; only its hash is stored, so show it once."""
    _check_name("client", client)
    key = "gwk_" + new_token()
    with db.transaction() as session:
        session.add(ApiKey(client=client, key_hash=token_hash(key), created_at=utcnow()))
        audit.record(session, actor, "apikey.create", f"client:{client}")
    return key


def disable_user(db: Database, name: str, actor: str = "cli") -> None:
    """Stop an account: it cannot log in any more and its open sessions end at once."""
    with db.transaction() as session:
        user = session.scalar(select(User).where(User.name == name).with_for_update())
        if user is None:
            raise ConfigError(f"no user {name!r}")
        if user.disabled_at is not None:
            raise ConfigError(f"user {name!r} is already disabled")
        user.disabled_at = utcnow()
        ended = session.execute(delete(WebSession).where(WebSession.user_id == user.id)).rowcount
        audit.record(session, actor, "account.disable", f"user:{name}", sessions_ended=ended)


def revoke_keys(db: Database, client: str, actor: str = "cli") -> int:
    """Revoke every live key of ``client``; refused from the next request on. Returns how many."""
    with db.transaction() as session:
        revoked = session.execute(
            update(ApiKey).where(ApiKey.client == client, ApiKey.revoked_at.is_(None))
            .values(revoked_at=utcnow()).execution_options(synchronize_session=False)
        ).rowcount
        if not revoked:
            raise ConfigError(f"client {client!r} has no live API key")
        audit.record(session, actor, "apikey.revoke", f"client:{client}", keys=revoked)
    return revoked


def accounts(db: Database, actor: str = "cli") -> tuple[list[User], list[ApiKey]]:
    """Every user and API key (hashes are not secrets an operator needs: callers show none)."""
    with db.transaction() as session:
        users = list(session.scalars(select(User).order_by(User.name)))
        keys = list(session.scalars(select(ApiKey).order_by(ApiKey.client, ApiKey.id)))
        audit.record(session, actor, "account.list", "", users=len(users), keys=len(keys))
    return users, keys


def check_password(session: Session, name: str, password: str) -> User | None:
    """The account if ``password`` is right and the account is not disabled."""
    user = session.scalar(select(User).where(User.name == name, User.disabled_at.is_(None)))
    if user is None:
        _hasher.hash(password)  # same work either way, so timing does not reveal user names
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def open_session(session: Session, user: User, ttl_seconds: float) -> str:
    """Store a new web session for ``user``; returns the cookie value."""
    token = new_token()
    session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    session.add(WebSession(token_hash=token_hash(token), user_id=user.id,
                           csrf_token=new_token(),
                           expires_at=utcnow() + timedelta(seconds=ttl_seconds)))
    return token


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


# -- request-time checks -------------------------------------------------------------------------
def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


class ApiKeyLookup:
    """Key hash -> client, read from the database on every request so a revoked key fails on
    the next one (there is no cache to outlive a revocation). On SQLite the read runs on the
    event loop through a private read-only connection (a primary key lookup, ~10 us; WAL
    readers do not wait for writers) and gives up after 50 ms if a lock holds it anyway;
    elsewhere, and after giving up, ``lookup`` runs in the thread pool."""

    QUERY = "SELECT client FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL"

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._sqlite: sqlite3.Connection | None = None
        path = db.engine.url.database if db.is_sqlite else None
        if path and path != ":memory:":
            self._sqlite = sqlite3.connect(path, timeout=0.05, check_same_thread=False,
                                           isolation_level=None)
            self._sqlite.execute("PRAGMA query_only=ON")

    def inline(self, key: str) -> tuple[bool, str | None]:
        """``(True, client or None)`` if the private connection answered at once, else
        ``(False, None)``: then ask ``lookup`` in a worker thread."""
        with self._lock:
            if self._sqlite is None:
                return False, None
            try:
                row = self._sqlite.execute(self.QUERY, (token_hash(key),)).fetchone()
            except sqlite3.OperationalError:  # locked: never hold the event loop longer
                return False, None
        return True, row[0] if row else None

    def lookup(self, key: str) -> str | None:
        """The same answer through the connection pool (blocking: call it in a thread)."""
        with self.db.transaction() as session:
            return session.scalar(select(ApiKey.client).where(ApiKey.key_hash == token_hash(key),
                                                              ApiKey.revoked_at.is_(None)))

    def close(self) -> None:
        """Close the private connection; later lookups (an app started again) use the pool."""
        with self._lock:
            if self._sqlite is not None:
                self._sqlite.close()
                self._sqlite = None


def session_user(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    db: Database = request.app.state.db
    with db.transaction() as session:
        row = session.execute(
            select(User, WebSession.csrf_token)
            .join(WebSession, WebSession.user_id == User.id)
            .where(WebSession.token_hash == token_hash(token), WebSession.expires_at > utcnow(),
                   User.disabled_at.is_(None))
        ).first()
    if row is None:
        return None
    user, csrf = row
    return Principal(name=user.name, role=user.role, user_id=user.id, csrf_token=csrf)


async def authenticate(request: Request, roles: tuple[str, ...]) -> Principal:
    """The API client (bearer key) or logged-in user behind a request, if its role is in
    ``roles``; 401 or 403 with the reason otherwise."""
    key = _bearer(request)
    if key:
        keys: ApiKeyLookup = request.app.state.api_keys
        answered, client = keys.inline(key)
        if not answered:
            client = await run_in_threadpool(keys.lookup, key)
        if client is None:
            raise HTTPException(401, "unknown API key")
        principal = Principal(name=client, role="client")
    else:
        principal = await run_in_threadpool(session_user, request)
    if principal is None:
        raise HTTPException(401, "log in or send an API key (Authorization: Bearer KEY)",
                            headers={"WWW-Authenticate": "Bearer"})
    if principal.role not in roles:
        raise HTTPException(403, f"role {principal.role!r} may not do this; needs one of: "
                                 f"{', '.join(roles)}")
    return principal


def require(*roles: str):
    """A FastAPI dependency admitting an API client (role ``client``) or a user with a role."""

    async def dependency(request: Request) -> Principal:
        return await authenticate(request, roles)

    return dependency


def check_csrf(principal: Principal, submitted: str) -> None:
    if not principal.csrf_token or not same_secret(principal.csrf_token, submitted or ""):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page and try again")


# -- login throttling ---------------------------------------------------------------------------
@dataclass
class _Tries:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Failed logins per key (``user:NAME``, ``addr:IP``): after ``free`` failures each further
    one locks the key for a doubling time (15 s, 30 s, ... at most 15 min). While locked, tries
    are refused before any password check (no Argon2 work, no audit row) and do not extend the
    lock. A success, or an hour without failures, forgets the count. In memory, per process:
    with several workers use ``RedisLoginThrottle`` (``login_throttle`` picks), or a guesser
    whose connections spread over N workers gets N times the tries.

    An attacker can keep an account or an address (a reverse proxy's, shared by every user)
    locked, so a browser that logged in as the account before (``DEVICE_COOKIE``) counts
    against its own key, ``device:NAME``, instead: its owner is never locked out by others.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, free: int = 5,
                 base_seconds: float = 15.0, max_seconds: float = 900.0,
                 forget_seconds: float = 3600.0, max_keys: int = 100_000) -> None:
        self.clock, self.free = clock, free
        self.base_seconds, self.max_seconds = base_seconds, max_seconds
        self.forget_seconds, self.max_keys = forget_seconds, max_keys
        self._tries: dict[str, _Tries] = {}
        self._lock = threading.Lock()

    def wait(self, keys: list[str]) -> float:
        """Seconds until every key in ``keys`` may try again (0: now)."""
        now = self.clock()
        with self._lock:
            return max([self._tries[k].locked_until - now for k in keys if k in self._tries]
                       + [0.0])

    def failed(self, keys: list[str]) -> list[tuple[str, float]]:
        """Count a failure on each key; returns the keys this failure locked, with seconds."""
        now, locked = self.clock(), []
        with self._lock:
            if len(self._tries) >= self.max_keys:
                self._forget_quiet(now)
            for key in keys:
                tries = self._tries.setdefault(key, _Tries())
                if now - tries.last > self.forget_seconds:
                    tries.failures = 0
                tries.failures += 1
                tries.last = now
                if seconds := self.lock_seconds(tries.failures):
                    tries.locked_until = now + seconds
                    locked.append((key, seconds))
        return locked

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._tries.pop(key, None)

    def lock_seconds(self, failures: int) -> float:
        """How long the ``failures``-th failure in a row locks its key (0: not at all)."""
        if failures <= self.free:
            return 0.0
        return min(self.max_seconds, self.base_seconds * 2 ** (failures - self.free - 1))

    def close(self) -> None:
        """Release connections at shutdown (this one holds none)."""

    def _forget_quiet(self, now: float) -> None:
        """Bound the memory an attacker spraying names can take: drop unlocked keys first."""
        for key in [k for k, t in self._tries.items() if t.locked_until <= now]:
            del self._tries[key]
        if len(self._tries) >= self.max_keys:
            self._tries.clear()


def login_throttle(settings: Settings) -> LoginThrottle:
    """In Redis when stream state is (several workers share the counts), else in this process."""
    if uses_redis(settings):
        from groomwatch.serving.login_throttle_redis import RedisLoginThrottle
        from groomwatch.serving.stream_store_redis import connect

        return RedisLoginThrottle(connect(settings.streams_url))
    return LoginThrottle()


def device_proof(name: str) -> str:
    """The device cookie's value for an account: an HMAC under the server's audit key."""
    return audit.keyed("device", name)


def throttle_keys(request: Request, name: str) -> list[str]:
    """What a login try counts against: its address and its account, or, from a browser that
    proved it logged in as that account before, that browser's own key for the account."""
    account = name.strip().lower()[:100]
    proof = request.cookies.get(DEVICE_COOKIE, "")
    if proof and same_secret(device_proof(name), proof):
        return [f"device:{account}"]
    return [f"addr:{request.client.host if request.client else 'unknown'}", f"user:{account}"]
