"""The storage paths against a real PostgreSQL server (row locks, JSON, migrations).

Runs when GROOMWATCH_TEST_POSTGRES_URL is set; `.ci/run` starts a throwaway server for it.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from groomwatch.cli import main
from groomwatch.serving import queue
from groomwatch.serving.app import create_app
from groomwatch.serving.auth import Principal, add_api_key, add_user
from groomwatch.serving.db import Database, Review, User
from groomwatch.serving.decisions import decide
from groomwatch.serving.settings import Settings

URL = os.environ.get("GROOMWATCH_TEST_POSTGRES_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not URL,
        reason="PostgreSQL tests need GROOMWATCH_TEST_POSTGRES_URL; run `source .ci/postgres.sh` "
               "(Debian package postgresql, as root) and then pytest tests/serving",
    ),
]


@pytest.fixture
def pg_app(detector):
    """An app on an emptied PostgreSQL database (every table dropped, then migrated)."""
    db = Database(URL)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.dispose()
    app = create_app(Settings(db_url=URL, double_review_rate=0.0), detector)
    yield app
    app.state.db.dispose()


def test_flags_are_stored_and_unflagged_leave_only_counts(pg_app, chat, secret_word):
    key = add_api_key(pg_app.state.db, "p")
    batch = {"conversations": [chat(i, grooming=i < 3) for i in range(6)]}
    with TestClient(pg_app, base_url="https://testserver",
                    headers={"Authorization": f"Bearer {key}"}) as client:
        results = client.post("/v1/conversations/score", json=batch).json()["results"]
    assert [r["flagged"] for r in results] == [True] * 3 + [False] * 3
    with pg_app.state.db.engine.connect() as connection:
        stored = connection.execute(text("SELECT content::text FROM reviews")).scalars().all()
    assert len(stored) == 3 and all(secret_word in s for s in stored)
    assert not any(f"b0-{i}" in s for s in stored for i in range(3, 6))


def test_concurrent_claims_never_share_an_item(pg_app, chat):
    db = pg_app.state.db
    key = add_api_key(db, "p")
    with TestClient(pg_app, base_url="https://testserver",
                    headers={"Authorization": f"Bearer {key}"}) as client:
        client.post("/v1/conversations/score",
                    json={"conversations": [chat(i, True) for i in range(20)]})
    for n in range(10):
        add_user(db, f"r{n}", "reviewer", "correct horse battery")
    with db.transaction() as session:
        reviewers = [Principal(name=u.name, role=u.role, user_id=u.id)
                     for u in session.scalars(select(User))]

    def work(principal: Principal) -> list[int]:
        got = []
        while (review_id := queue.claim_next(db, principal, 900)) is not None:
            got.append(review_id)
            decide(db, principal, review_id, "dismiss", "benign")
        return got

    with ThreadPoolExecutor(10) as pool:
        claims = [i for got in pool.map(work, reviewers) for i in got]
    assert sorted(claims) == list(range(1, 21))
    with db.transaction() as session:
        assert all(r.content is None for r in session.query(Review))


def test_audit_verify_and_purge_on_postgres(pg_app, capsys):
    add_user(pg_app.state.db, "rita", "lead", "correct horse battery")
    assert main(["audit", "verify", "--db", URL]) == 0
    assert main(["purge", "--db", URL, "--retention-days", "0"]) == 0
    with pg_app.state.db.engine.begin() as connection:  # the owner can lift the trigger
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        connection.execute(text("UPDATE audit_log SET action = 'nothing' WHERE seq = 1"))
    assert main(["audit", "verify", "--db", URL]) == 2
    assert "entry 1 was edited" in capsys.readouterr().err
