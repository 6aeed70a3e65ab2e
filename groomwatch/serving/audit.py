"""Append-only audit log, chained and keyed: each entry's HMAC covers its content and the
previous entry's hash.

The key (``GROOMWATCH_AUDIT_KEY`` or a file named by ``GROOMWATCH_AUDIT_KEY_FILE``) never enters
the database, so someone who can write the database but not read the key cannot edit an entry
and recompute the chain, nor append an entry of their own. Deleting the newest entries (and
lowering the ``audit_seq`` counter) leaves a valid shorter chain: only a head kept elsewhere
(``audit verify`` prints it, ``--expect-head`` checks it) catches that. On PostgreSQL a trigger
also refuses UPDATE, DELETE and TRUNCATE on the table (migration 0002).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from groomwatch.errors import ConfigError
from groomwatch.serving import counters
from groomwatch.serving.counters import AUDIT_SEQ
from groomwatch.serving.db import AuditEntry, Counter, Database, utcnow

GENESIS = "0" * 64
KEY_ENV = "GROOMWATCH_AUDIT_KEY"
KEY_FILE_ENV = "GROOMWATCH_AUDIT_KEY_FILE"
MIN_KEY_CHARS = 32
NO_KEY = (
    f"no audit key: set {KEY_FILE_ENV}=PATH to a key file (create one with "
    f"`groomwatch audit new-key --out PATH`, and keep it outside the database) or {KEY_ENV}"
)


def audit_key() -> bytes:
    """The secret that keys the audit chain (and pseudonyms), from the environment or a file."""
    value, path = os.environ.get(KEY_ENV, ""), os.environ.get(KEY_FILE_ENV, "")
    if not value and path:
        try:
            value = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the audit key file {path!r}: {exc.strerror}") from None
    value = value.strip()
    if not value:
        raise ConfigError(NO_KEY)
    if len(value) < MIN_KEY_CHARS:
        raise ConfigError(f"the audit key is {len(value)} characters; it needs at least "
                          f"{MIN_KEY_CHARS} (`groomwatch audit new-key` makes one)")
    return value.encode()


def write_new_key(path: Path) -> None:
    """Create a random key file readable by its owner only; never overwrite an existing key."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(f"{path} exists; an audit key is never overwritten (entries signed "
                          f"with it could no longer be verified)") from None
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")


def keyed(purpose: str, value: str, key: bytes | None = None) -> str:
    """HMAC of ``value`` under the audit key, separated by ``purpose`` (pseudonyms, cookies)."""
    material = f"{purpose}\0{value}".encode()
    return hmac.new(key or audit_key(), material, hashlib.sha256).hexdigest()


def _payload(seq: int, at: datetime, actor: str, action: str, target: str, detail: dict,
             prev_hash: str) -> bytes:
    return json.dumps(
        [seq, at.isoformat(), actor, action, target, detail, prev_hash],
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def _sign(key: bytes, payload: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def entry_hash(key: bytes, seq: int, at: datetime, actor: str, action: str, target: str,
               detail: dict, prev_hash: str) -> str:
    return _sign(key, _payload(seq, at, actor, action, target, detail, prev_hash))


def _next_seq(session: Session) -> int:
    """Take the log's write lock (a row lock on PostgreSQL) and return the next sequence number."""
    counters.add(session, AUDIT_SEQ)
    return session.scalar(select(Counter.value).where(Counter.name == AUDIT_SEQ))


def record(
    session: Session, actor: str, action: str, target: str = "", **detail: Any
) -> AuditEntry:
    """Append one entry inside the caller's transaction, so it commits with the action it logs."""
    key = audit_key()
    seq = _next_seq(session)
    prev = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq - 1)) or GENESIS
    at = utcnow()
    entry = AuditEntry(
        seq=seq, at=at, actor=actor, action=action, target=target, detail=detail, prev_hash=prev,
        hash=entry_hash(key, seq, at, actor, action, target, detail, prev),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class Verification:
    entries: int
    problems: list[str]
    #: The newest entry's sequence number and hash: keep them elsewhere, check with --expect-head.
    head_seq: int = 0
    head_hash: str = GENESIS
    #: Entries written before the log was keyed (plain SHA-256, accepted only before the first
    #: keyed entry, whose HMAC then covers their chain).
    unkeyed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def head(self) -> str:
        return f"{self.head_seq}:{self.head_hash}"


def _check_head(expect_head: str, hashes: dict[int, str]) -> str | None:
    seq_text, _, expected = expect_head.partition(":")
    if not seq_text.isdigit() or len(expected) != 64:
        raise ConfigError(f"--expect-head takes SEQ:HASH as printed by `audit verify`, "
                          f"not {expect_head!r}")
    seq = int(seq_text)
    if seq not in hashes:
        return f"the expected head entry {seq} is missing (the log was cut back)"
    if not hmac.compare_digest(hashes[seq], expected.lower()):
        return f"entry {seq} is not the expected head (the log was rewritten)"
    return None


def verify(db: Database, expect_head: str | None = None) -> Verification:
    """Walk the chain from the start and list every break in it."""
    key = audit_key()
    problems: list[str] = []
    prev, expected_seq, count, unkeyed, keyed_seen = GENESIS, 1, 0, 0, False
    hashes: dict[int, str] = {}
    with db.reading() as session:
        total = session.scalar(select(Counter.value).where(Counter.name == AUDIT_SEQ)) or 0
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
            count += 1
            if entry.seq != expected_seq:
                problems.append(f"entries {expected_seq}..{entry.seq - 1} are missing")
            if entry.prev_hash != prev:
                problems.append(f"entry {entry.seq} does not link to the entry before it")
            payload = _payload(entry.seq, entry.at, entry.actor, entry.action, entry.target,
                               entry.detail, entry.prev_hash)
            if hmac.compare_digest(_sign(key, payload), entry.hash):
                keyed_seen = True
            elif not keyed_seen and hashlib.sha256(payload).hexdigest() == entry.hash:
                unkeyed += 1
            else:
                problems.append(f"entry {entry.seq} was edited or forged (hash mismatch)")
            hashes[entry.seq] = entry.hash
            prev, expected_seq = entry.hash, entry.seq + 1
    if total > expected_seq - 1:
        problems.append(f"entries {expected_seq}..{total} are missing from the end")
    if count and not keyed_seen:
        problems.append(f"no entry is keyed: all {count} entries were written without the "
                        f"audit key (before keying, or rewritten since)")
    if expect_head and (problem := _check_head(expect_head, hashes)):
        problems.append(problem)
    return Verification(entries=count, problems=problems, head_seq=expected_seq - 1,
                        head_hash=prev, unkeyed=unkeyed)


def recent(session: Session, limit: int = 100, actor: str | None = None) -> list[AuditEntry]:
    """The newest entries, optionally only one actor's (what a reviewer may see)."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    return list(session.scalars(query))
