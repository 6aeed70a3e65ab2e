"""Read-only work on a live SQLite database (``stats``, ``audit verify``) takes no write lock.

Attack/failure: an operator runs ``groomwatch stats`` or ``audit verify`` against the running
service's database. With every transaction ``BEGIN IMMEDIATE`` such a report held the write
lock while it read, so the server's flag commits waited for it, and it waited for any writer.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from groomwatch.serving import audit, stats
from groomwatch.serving.db import Counter, Database
from groomwatch.serving.migrations import upgrade


def _finishes_within(seconds: float, work) -> bool:
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done.wait(seconds)


def _live_database(tmp_path: Path) -> tuple[Database, Path]:
    path = tmp_path / "review.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    with db.transaction() as session:
        audit.record(session, "cli", "user.add", "alice")
    return db, path


def test_reports_read_while_another_connection_holds_the_write_lock(tmp_path: Path) -> None:
    db, path = _live_database(tmp_path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        assert _finishes_within(5, lambda: stats.read(db))
        assert _finishes_within(5, lambda: audit.verify(db))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        db.dispose()


def test_a_commit_goes_through_while_a_report_is_reading(tmp_path: Path) -> None:
    db, _ = _live_database(tmp_path)
    try:
        with db.reading() as session:
            session.query(Counter).all()  # the snapshot is open

            def commit() -> None:
                with db.transaction() as writer:
                    audit.record(writer, "cli", "user.add", "bob")

            assert _finishes_within(5, commit)
        assert audit.verify(db).ok
    finally:
        db.dispose()
