"""Audit chain tamper detection, retention purge, and the serving CLI commands."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

from sqlalchemy import delete, select, update

from groomwatch.cli import main
from groomwatch.serving import audit
from groomwatch.serving.db import AuditEntry, Review, utcnow
from groomwatch.serving.retention import purge


def _flag(client, chat, n: int = 2) -> list[int]:
    batch = {"conversations": [chat(i, grooming=True) for i in range(n)]}
    return [r["review_id"] for r in client.post("/v1/conversations/score", json=batch)
            .json()["results"]]


def _audit_verify(db_url: str, capsys) -> tuple[int, str]:
    code = main(["audit", "verify", "--db", db_url])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_audit_verify_detects_edited_and_deleted_entries(app, db_url, login, capsys):
    for name in ("rita", "sam", "tom"):
        login(app, name)
    code, output = _audit_verify(db_url, capsys)
    assert code == 0 and "intact" in output
    with app.state.db.transaction() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="mallory"))
    code, output = _audit_verify(db_url, capsys)
    assert code == 2 and "entry 3 was edited" in output


def test_audit_verify_detects_deleted_middle_and_tail_entries(app, db_url, login, capsys):
    for name in ("rita", "sam", "tom"):
        login(app, name)
    with app.state.db.transaction() as session:
        last = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
        session.execute(delete(AuditEntry).where(AuditEntry.seq == last))
    code, output = _audit_verify(db_url, capsys)
    assert code == 2 and "missing from the end" in output
    with app.state.db.transaction() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    code, output = _audit_verify(db_url, capsys)
    assert code == 2 and "entries 2..2 are missing" in output


def test_every_entry_links_to_the_one_before(app, login):
    login(app, "rita")
    login(app, "sam")
    with app.state.db.transaction() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))


def test_purge_deletes_only_content_past_retention(client, app, chat, db_url, capsys):
    old, new = _flag(client, chat)
    with app.state.db.transaction() as session:
        session.get(Review, old).created_at = utcnow() - timedelta(days=400)
        session.get(Review, new).created_at = utcnow() - timedelta(days=300)
    assert main(["purge", "--db", db_url]) == 0
    assert "content of 1 item" in capsys.readouterr().out
    with app.state.db.transaction() as session:
        assert session.get(Review, old).content is None
        assert session.get(Review, old).content_deleted_at is not None
        assert session.get(Review, new).content is not None
        assert session.scalar(select(AuditEntry.action).order_by(AuditEntry.seq.desc())
                              .limit(1)) == "purge"
    assert purge(app.state.db, 0) == 1


def test_purge_runs_at_start_up(client, app, chat, settings, detector):
    from groomwatch.serving.app import create_app

    (old, _) = _flag(client, chat)
    with app.state.db.transaction() as session:
        session.get(Review, old).created_at = utcnow() - timedelta(days=366)
    restarted = create_app(settings, detector)
    with restarted.state.db.transaction() as session:
        assert session.get(Review, old).content is None


def test_users_and_keys_from_the_cli(db_url, capsys, app):
    assert main(["users", "add", "rita", "--role", "lead", "--db", db_url,
                 "--generate-password"]) == 0
    output = capsys.readouterr().out
    assert "added lead 'rita'" in output and "password (shown once): " in output
    assert main(["users", "add", "rita", "--db", db_url, "--generate-password"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["users", "add", "x", "--role", "boss", "--db", db_url,
                 "--generate-password"]) == 2
    assert "unknown role" in capsys.readouterr().err
    assert main(["users", "add-key", "provider-b", "--db", db_url]) == 0
    key = capsys.readouterr().out.split()[-1]
    assert key.startswith("gwk_") and len(key) > 40
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as web:
        answer = web.post("/v1/streams/s1/messages", headers={"X-API-Key": key},
                          json={"author_id": "a", "text": "hello"})
    assert answer.status_code == 200


def test_stats_and_report_export_from_the_cli(client, app, chat, db_url, login, tmp_path,
                                              capsys):
    ids = _flag(client, chat, n=2)
    rita = login(app, "rita")
    for _ in ids:
        review_id = int(rita.post("/queue/next", data={"csrf": rita.csrf},
                                  follow_redirects=False).headers["location"].rsplit("/")[-1])
        rita.post(f"/review/{review_id}/decide", data={
            "csrf": rita.csrf, "outcome": "confirm", "reason_confirm": "grooming_pattern"})
    assert main(["stats", "--db", db_url, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["flags"] == 2 and figures["downstream_precision"] == 1.0
    assert figures["mean_hours_to_decision"] < 0.01
    out = tmp_path / "reports.json"
    assert main(["reports", "export", "--db", db_url, "--out", str(out),
                 "--provider", "acme"]) == 0
    records = json.loads(out.read_text())
    assert [r["report_id"] for r in records] == [f"acme-{i}" for i in sorted(ids)]
    assert all(r["reason"] == "grooming_pattern" and r["urgency"] == "normal" for r in records)


def test_bad_database_url_is_a_clear_error(capsys):
    assert main(["stats", "--db", "nosuchdb://x"]) == 2
    assert capsys.readouterr().err.startswith("error: bad database URL")
