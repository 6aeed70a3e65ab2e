"""Accounts, passwords, web sessions, API keys and the role checks every route uses.

Passwords are hashed with Argon2 (argon2-cffi). API keys and session tokens are 256-bit random
values, so a plain SHA-256 of them is safe to store and cheap to check on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from groomwatch.errors import ConfigError
from groomwatch.serving import audit
from groomwatch.serving.db import ROLES, ApiKey, Database, User, WebSession, utcnow

SESSION_COOKIE = "gw_session"
KEY_CACHE_SECONDS = 60.0
LOGIN_CSRF_COOKIE = "gw_login_csrf"
_hasher = PasswordHasher()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a reviewer account (``user_id`` set) or an API client (``role='client'``)."""

    name: str
    role: str
    user_id: int | None = None
    csrf_token: str = ""


# -- accounts and keys (used by the CLI and tests) ---------------------------------------------
def add_user(db: Database, name: str, role: str, password: str, actor: str = "cli") -> None:
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    if not name.strip():
        raise ConfigError("a user name must not be empty")
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
    if not client.strip():
        raise ConfigError("a client name must not be empty")
    key = "gwk_" + new_token()
    with db.transaction() as session:
        session.add(ApiKey(client=client, key_hash=token_hash(key), created_at=utcnow()))
        audit.record(session, actor, "apikey.create", f"client:{client}")
    return key


def check_password(session: Session, name: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.name == name))
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


class ApiKeyCache:
    """Key hash -> client for recently seen keys, so a busy client's key costs one database
    lookup a minute instead of one per request. Unknown keys are never cached."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: dict[str, tuple[str, float]] = {}

    def cached(self, key: str) -> str | None:
        hit = self._known.get(token_hash(key))
        return hit[0] if hit and hit[1] > time.monotonic() else None

    def lookup(self, key: str) -> str | None:
        digest = token_hash(key)
        with self.db.transaction() as session:
            client = session.scalar(select(ApiKey.client).where(ApiKey.key_hash == digest))
        if client is not None:
            self._known[digest] = (client, time.monotonic() + KEY_CACHE_SECONDS)
        return client


def session_user(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    db: Database = request.app.state.db
    with db.transaction() as session:
        row = session.execute(
            select(User, WebSession.csrf_token)
            .join(WebSession, WebSession.user_id == User.id)
            .where(WebSession.token_hash == token_hash(token), WebSession.expires_at > utcnow())
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
        keys: ApiKeyCache = request.app.state.api_keys
        client = keys.cached(key) or await run_in_threadpool(keys.lookup, key)
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
    if not principal.csrf_token or not hmac.compare_digest(principal.csrf_token, submitted or ""):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page and try again")
