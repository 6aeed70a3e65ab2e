"""Append-only, hash-chained audit log: each entry's hash covers its content and the previous hash.

Editing an entry breaks its hash; deleting one breaks the sequence or the next entry's link;
deleting the newest entries is caught by the ``audit_seq`` counter kept beside the log.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from groomwatch.serving import counters
from groomwatch.serving.counters import AUDIT_SEQ
from groomwatch.serving.db import AuditEntry, Counter, Database, utcnow

GENESIS = "0" * 64


def entry_hash(
    seq: int, at: datetime, actor: str, action: str, target: str, detail: dict, prev_hash: str
) -> str:
    payload = json.dumps(
        [seq, at.isoformat(), actor, action, target, detail, prev_hash],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _next_seq(session: Session) -> int:
    """Take the log's write lock (a row lock on PostgreSQL) and return the next sequence number."""
    counters.add(session, AUDIT_SEQ)
    return session.scalar(select(Counter.value).where(Counter.name == AUDIT_SEQ))


def record(
    session: Session, actor: str, action: str, target: str = "", **detail: Any
) -> AuditEntry:
    """Append one entry inside the caller's transaction, so it commits with the action it logs."""
    seq = _next_seq(session)
    prev = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq - 1)) or GENESIS
    at = utcnow()
    entry = AuditEntry(
        seq=seq, at=at, actor=actor, action=action, target=target, detail=detail, prev_hash=prev,
        hash=entry_hash(seq, at, actor, action, target, detail, prev),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class Verification:
    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(db: Database) -> Verification:
    """Walk the chain from the start and list every break in it."""
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    with db.transaction() as session:
        total = session.scalar(select(Counter.value).where(Counter.name == AUDIT_SEQ)) or 0
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
            count += 1
            if entry.seq != expected_seq:
                problems.append(f"entries {expected_seq}..{entry.seq - 1} are missing")
            if entry.prev_hash != prev:
                problems.append(f"entry {entry.seq} does not link to the entry before it")
            recomputed = entry_hash(
                entry.seq, entry.at, entry.actor, entry.action, entry.target, entry.detail,
                entry.prev_hash,
            )
            if recomputed != entry.hash:
                problems.append(f"entry {entry.seq} was edited (hash mismatch)")
            prev, expected_seq = entry.hash, entry.seq + 1
    if total > expected_seq - 1:
        problems.append(f"entries {expected_seq}..{total} are missing from the end")
    return Verification(entries=count, problems=problems)


def recent(session: Session, limit: int = 100) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)))
