"""Service security (issue 15): the keyed audit chain against three rewrites, content gone from
the database files after a dismissal, login throttling, revocation, audit page roles, fixed
notices, password policy, the claim limit, CSP and the Origin check.

Storage tests run on SQLite and, when GROOMWATCH_TEST_POSTGRES_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text, update

from groomwatch.cli import main
from groomwatch.errors import ConfigError
from groomwatch.serving import audit
from groomwatch.serving.app import create_app
from groomwatch.serving.auth import LoginThrottle, add_api_key, add_user
from groomwatch.serving.db import AuditEntry, Counter, Database, Review, WebSession
from groomwatch.serving.settings import Settings

PG_URL = os.environ.get("GROOMWATCH_TEST_POSTGRES_URL")
PASSWORD = "correct horse battery"  # the shared conftest's password for log_in


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path: Path, detector):
    """An app on a fresh SQLite file or an emptied PostgreSQL database; yields (app, url)."""
    if request.param == "postgres":
        if not PG_URL:
            pytest.skip("PostgreSQL tests need GROOMWATCH_TEST_POSTGRES_URL (.ci/postgres.sh)")
        db = Database(PG_URL)
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.dispose()
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path / 'review.db'}"
    app = create_app(Settings(db_url=url, double_review_rate=0.0), detector)
    yield app, url
    app.state.api_keys.close()
    app.state.db.dispose()


def _verify(url: str, capsys, *extra: str) -> tuple[int, str]:
    code = main(["audit", "verify", "--db", url, *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _unguarded(app):
    """A connection that can rewrite audit_log as the table's owner could (the trigger is off)."""
    connection = app.state.db.engine.connect()
    if app.state.db.engine.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
    return connection


def _sha_chain_from(connection, first_seq: int) -> None:
    """The attacker's rewrite: recompute every hash from ``first_seq`` on with plain SHA-256
    (what verified as intact before the chain was keyed)."""
    rows = connection.execute(select(AuditEntry.__table__).order_by(AuditEntry.seq)).all()
    prev = audit.GENESIS
    for row in rows:
        if row.seq >= first_seq:
            payload = audit._payload(row.seq, row.at, row.actor, row.action, row.target,
                                     row.detail, prev)
            digest = hashlib.sha256(payload).hexdigest()
            connection.execute(update(AuditEntry.__table__).where(AuditEntry.seq == row.seq)
                               .values(prev_hash=prev, hash=digest))
            prev = digest
        else:
            prev = row.hash
    connection.commit()


def _some_entries(app, login) -> None:
    for name in ("rita", "sam", "tom"):
        login(app, name)


# -- item 2: keyed audit chain ---------------------------------------------------------------
def test_edit_and_recompute_the_chain_is_detected(store, login, capsys):
    app, url = store
    _some_entries(app, login)
    assert _verify(url, capsys)[0] == 0
    with _unguarded(app) as connection:
        connection.execute(update(AuditEntry.__table__).where(AuditEntry.seq == 3)
                           .values(actor="mallory"))
        _sha_chain_from(connection, 3)
    code, output = _verify(url, capsys)
    assert code == 2 and "entry 3 was edited or forged" in output


def test_deleting_the_tail_and_lowering_the_counter_fails_the_kept_head(store, login, capsys):
    app, url = store
    _some_entries(app, login)
    code, output = _verify(url, capsys)
    head = re.search(r"head: (\d+:[0-9a-f]{64})", output).group(1)
    seq = int(head.split(":")[0])
    assert code == 0 and seq >= 6
    assert _verify(url, capsys, "--expect-head", head)[0] == 0
    with _unguarded(app) as connection:
        connection.execute(delete(AuditEntry.__table__).where(AuditEntry.seq > seq - 2))
        connection.execute(update(Counter.__table__).where(Counter.name == "audit_seq")
                           .values(value=seq - 2))
        connection.commit()
    code, output = _verify(url, capsys, "--expect-head", head)
    assert code == 2 and f"expected head entry {seq} is missing" in output


def test_an_appended_forged_lead_decision_is_detected(store, login, capsys):
    app, url = store
    _some_entries(app, login)
    with app.state.db.transaction() as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        seq, prev, at = last.seq + 1, last.hash, last.at
    detail = {"outcome": "dismiss", "reason": "benign", "state": "dismissed"}
    payload = audit._payload(seq, at, "lena", "decision", "review:1", detail, prev)
    with _unguarded(app) as connection:
        connection.execute(AuditEntry.__table__.insert().values(
            seq=seq, at=at, actor="lena", action="decision", target="review:1", detail=detail,
            prev_hash=prev, hash=hashlib.sha256(payload).hexdigest()))
        connection.execute(update(Counter.__table__).where(Counter.name == "audit_seq")
                           .values(value=seq))
        connection.commit()
    code, output = _verify(url, capsys)
    assert code == 2 and f"entry {seq} was edited or forged" in output


def test_a_wrong_key_fails_every_entry(app, db_url, login, capsys, monkeypatch):
    login(app, "rita")
    monkeypatch.setenv(audit.KEY_ENV, "another-key-" + "z" * 40)
    code, output = _verify(db_url, capsys)
    assert code == 2 and "entry 1 was edited or forged" in output


def test_postgres_refuses_to_change_the_audit_log(store, login):
    app, url = store
    if not url.startswith("postgresql"):
        pytest.skip("the append-only trigger is PostgreSQL's")
    login(app, "rita")
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log",
                      "TRUNCATE audit_log"):
        with pytest.raises(Exception, match="append-only"), app.state.db.engine.begin() as c:
            c.execute(text(statement))
    with app.state.db.transaction() as session:
        assert session.scalar(select(AuditEntry.actor).where(AuditEntry.seq == 1)) != "x"


def test_no_key_is_a_clear_error_and_new_key_makes_one(settings, detector, db_url, tmp_path,
                                                       capsys, monkeypatch):
    monkeypatch.delenv(audit.KEY_ENV)
    with pytest.raises(ConfigError, match=r"no audit key.*audit new-key"):
        create_app(settings, detector)
    assert main(["audit", "verify", "--db", db_url]) == 2
    assert "error: no audit key" in capsys.readouterr().err
    key_file = tmp_path / "audit.key"
    assert main(["audit", "new-key", "--out", str(key_file)]) == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_text()) > 60
    assert main(["audit", "new-key", "--out", str(key_file)]) == 2  # never overwritten
    assert "never overwritten" in capsys.readouterr().err
    monkeypatch.setenv(audit.KEY_FILE_ENV, str(key_file))
    add_user(Database(db_url), "rita", "lead", PASSWORD)
    code, output = _verify(db_url, capsys)
    assert code == 0 and "intact: 1 entries" in output
    monkeypatch.setenv(audit.KEY_ENV, "short")
    with pytest.raises(ConfigError, match="at least 32"):
        audit.audit_key()


def test_entries_from_before_keying_pass_only_ahead_of_the_first_keyed_one(app, db_url, login,
                                                                           capsys):
    _some_entries(app, login)
    with _unguarded(app) as connection:
        _sha_chain_from(connection, 1)  # as written by the unkeyed code
    code, output = _verify(db_url, capsys)
    assert code == 2 and "no entry is keyed" in output
    login(app, "uma")  # the next entries are keyed and cover the old chain
    code, output = _verify(db_url, capsys)
    assert code == 0 and "from before keying" in output


# -- item 3: nothing left on disk ------------------------------------------------------------
def _flag_marked(app, api_key: str, marker: str, cid: str) -> int:
    messages = [{"author_id": "a" if i % 2 == 0 else "b",
                 "text": f"this is our little secret dont tell your parents {marker}{i}"}
                for i in range(150)]  # ~20 KB: the text spills into overflow pages
    body = {"conversation_id": cid, "language": "en", "messages": messages,
            "participants": [{"author_id": "a", "role": "adult"},
                             {"author_id": "b", "role": "child"}]}
    with TestClient(app, base_url="https://testserver",
                    headers={"Authorization": f"Bearer {api_key}"}) as client:
        answer = client.post("/v1/conversations/score", json=body).json()
        (result,) = answer["results"]
    assert result["flagged"], answer
    return result["review_id"]


def _database_bytes(db_file: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))


def test_dismissed_text_is_gone_from_the_db_wal_and_shm_files(app, db_url, login):
    db_file = Path(db_url.removeprefix("sqlite:///"))
    key = add_api_key(app.state.db, "acme-platform")
    review_id = _flag_marked(app, key, "quokkafjord", "platform-record-77310")
    for n in range(40):  # later writes, as in the report: the WAL frames outlive them
        login(app, f"user{n}")
    assert b"quokkafjord" in _database_bytes(db_file)
    rita = login(app, "rita")
    rita.post(f"/review/{review_id}/claim", data={"csrf": rita.csrf})
    answer = rita.post(f"/review/{review_id}/decide", follow_redirects=False, data={
        "csrf": rita.csrf, "outcome": "dismiss", "reason_dismiss": "benign"})
    assert answer.status_code == 303
    raw = _database_bytes(db_file)
    assert {p.name for p in db_file.parent.glob(db_file.name + "*")} >= {db_file.name}
    assert b"quokkafjord" not in raw
    assert b"platform-record-77310" not in raw
    assert b"acme-platform" in raw  # the key's own row names the client; the review does not
    with app.state.db.transaction() as session:
        review = session.get(Review, review_id)
        assert review.client.startswith("h:") and review.conversation_id.startswith("h:")


def test_purged_text_is_gone_from_the_database_files(app, db_url, login):
    from groomwatch.serving.retention import purge

    db_file = Path(db_url.removeprefix("sqlite:///"))
    key = add_api_key(app.state.db, "acme")
    _flag_marked(app, key, "wombatquill", "c1")
    assert b"wombatquill" in _database_bytes(db_file)
    assert purge(app.state.db, 0) == 1
    assert b"wombatquill" not in _database_bytes(db_file)


def test_a_checkpoint_held_up_by_a_reader_warns_and_the_next_one_finishes(app, db_url, caplog):
    import sqlite3

    db_file = Path(db_url.removeprefix("sqlite:///"))
    key = add_api_key(app.state.db, "acme")
    _flag_marked(app, key, "numbatvale", "c1")
    reader = sqlite3.connect(db_file)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM reviews").fetchone()  # holds its snapshot
    _flag_marked(app, key, "numbatvale", "c2")  # WAL frames the reader still needs
    assert app.state.db.scrub() is False
    assert "WAL checkpoint busy" in caplog.text and "numbatvale" not in caplog.text
    reader.rollback()
    reader.close()
    assert app.state.db.scrub() is True
    assert not (db_file.parent / (db_file.name + "-wal")).stat().st_size


def test_a_dismissal_pseudonymises_the_ids_on_every_backend(store, login):
    app, _ = store
    key = add_api_key(app.state.db, "acme-platform")
    review_id = _flag_marked(app, key, "quokkafjord", "platform-record-77310")
    rita = login(app, "rita")
    rita.post(f"/review/{review_id}/claim", data={"csrf": rita.csrf})
    rita.post(f"/review/{review_id}/decide", data={
        "csrf": rita.csrf, "outcome": "dismiss", "reason_dismiss": "benign"})
    with app.state.db.engine.connect() as connection:
        row = connection.execute(text("SELECT client, conversation_id, content FROM reviews "
                                      f"WHERE id = {review_id}")).one()
    assert row.content is None
    assert "acme" not in row.client and "77310" not in row.conversation_id
    assert re.fullmatch(r"h:[0-9a-f]{64}", row.conversation_id)


# -- item 4: login throttling ----------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _login_form(browser: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text).group(1)


def _try(browser: TestClient, name: str, password: str):
    return browser.post("/login", follow_redirects=False, data={
        "username": name, "password": password, "csrf": _login_form(browser)})


def _actions(app, action: str) -> list[AuditEntry]:
    with app.state.db.transaction() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_guessing_locks_the_account_and_address_with_a_growing_delay(app, login):
    clock = FakeClock()
    app.state.login_throttle = LoginThrottle(clock=clock)
    login(app, "lena", "lead")
    attacker = TestClient(app, base_url="https://testserver", client=("10.0.0.66", 4000))
    for _ in range(5):
        assert _try(attacker, "lena", "not the password").status_code == 303
    assert _try(attacker, "lena", "still not it").status_code == 303  # the 6th locks
    refused = _try(attacker, "lena", PASSWORD)  # even the right password waits
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 16
    assert "Too many failed attempts" in refused.text
    for _ in range(10):
        assert _try(attacker, "lena", "guess").status_code == 429
    locks = _actions(app, "login.locked")
    assert sorted(e.target for e in locks) == ["addr:10.0.0.66", "user:lena"]  # once per lock
    assert len(_actions(app, "login.failed")) == 6  # refused tries cost no audit row
    clock.now += 16
    _try(attacker, "lena", "wrong again")  # 7th failure: the lock doubles
    assert int(_try(attacker, "lena", PASSWORD).headers["retry-after"]) == 31
    clock.now += 31
    assert _try(attacker, "lena", PASSWORD).headers["location"] == "/"
    assert _try(attacker, "lena", "typo").status_code == 303  # a success forgets the count


def test_an_attacker_cannot_lock_a_lead_out_of_a_browser_she_used_before(app, login):
    app.state.login_throttle = LoginThrottle(clock=FakeClock())
    lena = TestClient(app, base_url="https://testserver", client=("10.0.0.5", 4000))
    add_user(app.state.db, "lena", "lead", PASSWORD)
    assert _try(lena, "lena", PASSWORD).headers["location"] == "/"
    assert lena.cookies.get("gw_device")
    attacker = TestClient(app, base_url="https://testserver", client=("10.0.0.66", 4000))
    for _ in range(8):
        _try(attacker, "lena", "guess")
    newcomer = TestClient(app, base_url="https://testserver", client=("10.0.0.7", 4000))
    assert _try(newcomer, "lena", PASSWORD).status_code == 429  # the account is locked...
    assert _try(lena, "lena", PASSWORD).headers["location"] == "/"  # ...not for her browser


def test_behind_a_proxy_a_locked_address_does_not_lock_out_known_browsers(app):
    app.state.login_throttle = LoginThrottle(clock=FakeClock())
    add_user(app.state.db, "lena", "lead", PASSWORD)
    proxy = ("10.0.0.1", 4000)  # every browser arrives from the reverse proxy's address
    lena = TestClient(app, base_url="https://testserver", client=proxy)
    assert _try(lena, "lena", PASSWORD).headers["location"] == "/"
    attacker = TestClient(app, base_url="https://testserver", client=proxy)
    for n in range(8):
        _try(attacker, f"user{n}", "guess")  # sprays names: the proxy's address locks
    assert _try(attacker, "lena", PASSWORD).status_code == 429
    assert _try(lena, "lena", PASSWORD).headers["location"] == "/"
    for _ in range(6):  # her browser is throttled too, on its own key
        _try(lena, "lena", "typo")
    assert _try(lena, "lena", PASSWORD).status_code == 429


def test_lock_times_double_and_are_capped():
    clock = FakeClock()
    throttle = LoginThrottle(clock=clock)
    locks = [throttle.failed(["user:x"]) for _ in range(14)]
    assert locks[:5] == [[]] * 5
    assert [seconds for ((_, seconds),) in locks[5:]] == [15, 30, 60, 120, 240, 480, 900, 900,
                                                          900]
    clock.now += 3601  # an hour of quiet forgets the failures
    assert throttle.failed(["user:x"]) == [] and throttle.wait(["user:x"]) == 0


# -- item 5: revocation ----------------------------------------------------------------------
def test_disabling_a_user_ends_her_sessions_and_logins_at_once(store, login, capsys):
    app, url = store
    rita = login(app, "rita")
    assert rita.get("/", follow_redirects=False).status_code == 200
    assert main(["users", "disable", "rita", "--db", url]) == 0
    assert "disabled 'rita'" in capsys.readouterr().out
    assert rita.get("/", follow_redirects=False).headers["location"] == "/login"
    with app.state.db.transaction() as session:
        assert session.scalar(select(WebSession.token_hash)) is None
    assert _try(TestClient(app, base_url="https://testserver"), "rita",
                PASSWORD).headers["location"] == "/login?error=wrong"
    assert main(["users", "disable", "rita", "--db", url]) == 2
    assert main(["users", "disable", "nobody", "--db", url]) == 2
    (entry,) = _actions(app, "account.disable")
    assert entry.target == "user:rita" and entry.detail == {"sessions_ended": 1}


def test_a_revoked_key_fails_on_the_next_request(store, capsys, chat):
    app, url = store
    key = add_api_key(app.state.db, "provider-b")
    other = add_api_key(app.state.db, "provider-c")
    body = {"author_id": "a", "text": "hello"}
    with TestClient(app, base_url="https://testserver") as web:
        assert web.post("/v1/streams/s1/messages", headers={"X-API-Key": key},
                        json=body).status_code == 200
        assert main(["users", "revoke-key", "provider-b", "--db", url]) == 0
        assert "revoked 1 API key(s)" in capsys.readouterr().out
        assert web.post("/v1/streams/s1/messages", headers={"X-API-Key": key},
                        json=body).status_code == 401
        assert web.post("/v1/streams/s1/messages", headers={"X-API-Key": other},
                        json=body).status_code == 200
    assert main(["users", "revoke-key", "provider-b", "--db", url]) == 2
    assert "no live API key" in capsys.readouterr().err
    (entry,) = _actions(app, "apikey.revoke")
    assert entry.target == "client:provider-b" and entry.detail == {"keys": 1}


def test_a_deleted_key_row_is_not_kept_alive_by_a_cache(app, client):
    assert client.post("/v1/streams/s1/messages", json={"author_id": "a",
                                                        "text": "hi"}).status_code == 200
    with app.state.db.transaction() as session:
        session.execute(text("DELETE FROM api_keys"))
    assert client.post("/v1/streams/s1/messages", json={"author_id": "a",
                                                        "text": "hi"}).status_code == 401


def test_users_list_shows_roles_and_states_and_is_audited(app, db_url, login, capsys):
    login(app, "rita")
    add_user(app.state.db, "ada", "auditor", PASSWORD)
    add_api_key(app.state.db, "provider-b")
    main(["users", "disable", "rita", "--db", db_url])
    main(["users", "revoke-key", "provider-b", "--db", db_url])
    capsys.readouterr()
    assert main(["users", "list", "--db", db_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(re.match(r"user\s+ada\s+auditor\s+active", line) for line in lines)
    assert any(re.match(r"user\s+rita\s+reviewer\s+disabled", line) for line in lines)
    assert any(re.match(r"key\s+provider-b\s+.*revoked", line) for line in lines)
    assert not any("gwk_" in line for line in lines)
    assert len(_actions(app, "account.list")) == 1


# -- item 11: audit page roles ----------------------------------------------------------------
def test_a_reviewer_sees_only_her_own_audit_entries(app, login):
    browser = TestClient(app, base_url="https://testserver")
    _try(browser, "MyPasswordTypedAsName", "x")
    rita = login(app, "rita")
    page = rita.get("/audit").text
    rows = re.findall(r"<tr><td>\d+</td>.*?</tr>", page, re.S)
    assert rows and all("<td>rita</td>" in row for row in rows)
    assert "MyPasswordTypedAsName" not in page and "own entries only" in page
    everyone = login(app, "ada", "auditor").get("/audit").text
    assert "MyPasswordTypedAsName" in everyone and "<td>rita</td>" in everyone


# -- item 12: notices from codes only --------------------------------------------------------
def test_notices_come_from_fixed_codes_only(app, login):
    rita = login(app, "rita")
    forged = rita.get("/", params={"message": "Your session expired: call +1 555 0100"}).text
    assert "555 0100" not in forged and 'class="notice"' not in forged
    shown = rita.get("/", params={"message": "confirmed", "review": "42"}).text
    assert "Review 42: confirmed." in shown
    odd = rita.get("/", params={"message": "released", "review": "<b>9</b>"}).text
    assert "The review returned to the queue." in odd and "<b>9" not in odd
    login_page = TestClient(app, base_url="https://testserver").get(
        "/login", params={"error": "Please re-enter your password at evil.example"}).text
    assert "evil.example" not in login_page and 'role="alert"' not in login_page


# -- item 13: passwords ----------------------------------------------------------------------
@pytest.mark.parametrize(("password", "why"), [
    ("x", "at least 12"), ("elevenchars", "at least 12"),
    ("password1234", "common or easy"), ("qwertyuiop123", "common or easy"),
    ("aaaaaaaaaaaaaaaa", "common or easy"), ("ritarita2024", "common or easy"),
])
def test_short_and_common_passwords_are_refused(app, password, why):
    with pytest.raises(ConfigError, match=why):
        add_user(app.state.db, "rita", "admin", password)


def test_the_cli_refuses_a_weak_password(db_url, monkeypatch, capsys):
    monkeypatch.setattr("typer.prompt", lambda *a, **k: "letmein")
    assert main(["users", "add", "root", "--role", "admin", "--db", db_url]) == 2
    assert "at least 12" in capsys.readouterr().err
    assert main(["users", "add", "root", "--role", "admin", "--db", db_url,
                 "--generate-password"]) == 0


# -- item 14: claim limit --------------------------------------------------------------------
def test_a_reviewer_holds_at_most_max_claims_items(store, login, chat):
    app, _ = store
    key = add_api_key(app.state.db, "p")
    with TestClient(app, base_url="https://testserver",
                    headers={"Authorization": f"Bearer {key}"}) as client:
        results = client.post("/v1/conversations/score", json={
            "conversations": [chat(i, True) for i in range(5)]}).json()["results"]
    ids = [r["review_id"] for r in results]
    rita = login(app, "rita")
    limit = app.state.settings.max_claims
    for review_id in ids[:limit]:
        answer = rita.post(f"/review/{review_id}/claim", data={"csrf": rita.csrf},
                           follow_redirects=False)
        assert answer.headers["location"] == f"/review/{review_id}"
    refused = rita.post(f"/review/{ids[limit]}/claim", data={"csrf": rita.csrf},
                        follow_redirects=False)
    assert refused.headers["location"] == "/?message=claim_limit"
    with app.state.db.transaction() as session:
        held = session.scalars(select(Review.id).where(Review.claimed_by.is_not(None))).all()
    assert sorted(held) == sorted(ids[:limit])
    assert rita.post(f"/review/{ids[0]}/claim", data={"csrf": rita.csrf},  # re-opening one
                     follow_redirects=False).headers["location"] == f"/review/{ids[0]}"
    rita.post(f"/review/{ids[0]}/decide", data={
        "csrf": rita.csrf, "outcome": "confirm", "reason_confirm": "grooming_pattern"})
    assert rita.post(f"/review/{ids[limit]}/claim", data={"csrf": rita.csrf},
                     follow_redirects=False).headers["location"] == f"/review/{ids[limit]}"


# -- item 15: CSP, Origin, export method -----------------------------------------------------
def test_csp_forbids_base_and_foreign_form_targets(app, login):
    policy = login(app, "rita").get("/").headers["content-security-policy"]
    directives = {d.strip() for d in policy.split(";")}
    assert {"base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"} <= directives


def test_state_changing_posts_from_another_origin_are_refused(app, login, chat):
    rita = login(app, "rita")
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Sec-Fetch-Site": "cross-site"}):
        answer = rita.post("/logout", data={"csrf": rita.csrf}, headers=headers,
                           follow_redirects=False)
        assert answer.status_code == 403 and "cross-origin" in answer.text
    assert rita.get("/", follow_redirects=False).status_code == 200  # still logged in
    same = rita.post("/logout", data={"csrf": rita.csrf}, follow_redirects=False,
                     headers={"Origin": "https://testserver", "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 303


def test_the_report_export_is_a_post(app, login):
    lead = login(app, "lena", "lead")
    assert lead.get("/v1/reports").status_code == 405
    assert lead.post("/v1/reports").json() == []
    (entry,) = _actions(app, "export")
    assert entry.actor == "lena" and json.loads(json.dumps(entry.detail)) == {"count": 0}


def test_a_database_from_before_migration_0002_upgrades_with_its_rows(tmp_path, capsys):
    from alembic import command

    from groomwatch.serving.migrations import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    command.upgrade(alembic_config(db), "0001")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (name, role, password_hash, created_at) "
                                "VALUES ('rita', 'lead', 'x', '2026-01-01 00:00:00')"))
        connection.execute(text("INSERT INTO api_keys (client, key_hash, created_at) "
                                "VALUES ('p', 'h', '2026-01-01 00:00:00')"))
    upgrade(db)
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT name, disabled_at FROM users")).one() == \
            ("rita", None)
        assert connection.execute(text("SELECT revoked_at FROM api_keys")).scalar() is None
    assert main(["users", "disable", "rita", "--db", url]) == 0
    assert main(["audit", "verify", "--db", url]) == 0
    assert "intact: 1 entries" in capsys.readouterr().out


def test_a_malformed_expected_head_is_a_clear_error(app, db_url, capsys):
    assert main(["audit", "verify", "--db", db_url, "--expect-head", "7"]) == 2
    assert "SEQ:HASH" in capsys.readouterr().err


def test_a_locked_key_lookup_gives_up_at_once_and_asks_the_pool(app, client, api_key, tmp_path):
    import sqlite3
    import time

    keys = app.state.api_keys
    assert keys.inline(api_key) == (True, "provider-a")
    assert keys.inline("gwk_unknown") == (True, None)
    # WAL readers practically never wait, so lock a rollback-journal file in its place
    locked = tmp_path / "locked.db"
    holder = sqlite3.connect(locked, isolation_level=None)
    holder.execute("CREATE TABLE api_keys (client TEXT, key_hash TEXT, revoked_at TEXT)")
    holder.execute("BEGIN EXCLUSIVE")
    keys._sqlite.close()
    keys._sqlite = sqlite3.connect(locked, timeout=0.05, check_same_thread=False,
                                   isolation_level=None)
    try:
        start = time.perf_counter()
        assert keys.inline(api_key) == (False, None)
        assert time.perf_counter() - start < 1.0  # gave up after ~50 ms, not 30 s
        answer = client.post("/v1/streams/s1/messages", json={"author_id": "a", "text": "hi"})
        assert answer.status_code == 200  # answered by the pool in a worker thread
    finally:
        holder.execute("ROLLBACK")
        holder.close()
