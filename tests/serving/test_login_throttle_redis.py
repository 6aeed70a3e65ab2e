"""The login throttle in a real Redis: one count and one lock ladder for all workers.

Two apps on one Redis and one database stand for two workers (or one worker before and after a
restart). These tests need ``GROOMWATCH_TEST_REDIS_URL`` (the ``redis_url`` fixture skips
them without it) and empty that Redis database first.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest
import redis
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from groomwatch.serving import auth
from groomwatch.serving.app import create_app
from groomwatch.serving.auth import add_api_key, add_user
from groomwatch.serving.db import AuditEntry
from groomwatch.serving.login_throttle_redis import RedisLoginThrottle
from groomwatch.serving.redis_shared import hashed_key

PASSWORD = "correct horse battery"
ATTACKER = ("10.0.0.66", 4000)


class CountingHasher(PasswordHasher):
    """Argon2 at its smallest cost that counts its work: a refused try must cost none."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.calls = 0

    def hash(self, *args, **kwargs):
        self.calls += 1
        return super().hash(*args, **kwargs)

    def verify(self, *args, **kwargs):
        self.calls += 1
        return super().verify(*args, **kwargs)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(auth, "_hasher", counting)
    return counting


@pytest.fixture
def workers(settings, redis_url, detector):
    """Two apps ('workers') sharing one Redis and one database, with the account ``lena``."""
    shared = replace(settings, streams_url=redis_url)
    apps = [create_app(shared, detector) for _ in range(2)]
    add_user(apps[0].state.db, "lena", "lead", PASSWORD)
    return apps


def _browser(app, address: tuple[str, int] = ("10.0.0.5", 4000)) -> TestClient:
    return TestClient(app, base_url="https://testserver", client=address)


def _try(browser: TestClient, name: str, password: str):
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text).group(1)
    return browser.post("/login", follow_redirects=False,
                        data={"username": name, "password": password, "csrf": token})


def _audited(app, action: str) -> list[str]:
    with app.state.db.transaction() as session:
        return sorted(session.scalars(select(AuditEntry.target)
                                      .where(AuditEntry.action == action)))


def _login_keys(client: redis.Redis) -> list[bytes]:
    return list(client.scan_iter(match="groomwatch:login:*"))


def test_failures_at_one_worker_count_at_the_other_and_its_lock_refuses_before_argon2(
        workers, hasher):
    a, b = workers
    at_a, at_b = _browser(a, ATTACKER), _browser(b, ATTACKER)
    for n in range(5):  # five free failures in all, not five per worker
        assert _try(at_a if n % 2 else at_b, "lena", "guess").status_code == 303
    assert _try(at_a, "lena", "sixth guess").status_code == 303  # locks at A...
    work = hasher.calls
    refused = _try(at_b, "lena", PASSWORD)  # ...and B refuses even the right password
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 16
    newcomer = _try(_browser(b, ("10.0.0.7", 4000)), "lena", PASSWORD)  # the account is locked
    assert newcomer.status_code == 429
    for _ in range(5):
        assert _try(at_b, "lena", "guess").status_code == 429
    assert hasher.calls == work  # no Argon2 work for a refused try, at either worker
    assert _audited(a, "login.locked") == ["addr:10.0.0.66", "user:lena"]  # once per lock
    assert len(_audited(b, "login.failed")) == 6  # refused tries cost no audit row


def test_with_redis_configured_the_counts_are_in_redis_under_their_own_keys(
        workers, redis_client):
    a, _ = workers
    assert isinstance(a.state.login_throttle, RedisLoginThrottle)  # not the per-process one
    key = add_api_key(a.state.db, "provider")
    message = {"author_id": "a", "text": "hello", "role": "adult"}
    assert TestClient(a, base_url="https://testserver").post(
        "/v1/streams/s/messages", json=message,
        headers={"Authorization": f"Bearer {key}"}).status_code == 200  # rate and stream keys
    others = set(redis_client.scan_iter(match="groomwatch:*"))
    assert _try(_browser(a, ATTACKER), "lena", "guess").status_code == 303
    login_keys = _login_keys(redis_client)
    assert len(login_keys) == 2 and not others & set(login_keys)  # addr: and user:, apart
    assert not any(b"lena" in k or b"10.0.0.66" in k for k in login_keys)  # names are hashed
    assert all(0 < redis_client.pttl(k) <= 3_600_000 for k in login_keys)  # memory is bounded
    assert _try(_browser(a, ATTACKER), "lena", PASSWORD).headers["location"] == "/"
    assert _login_keys(redis_client) == []  # a success forgets the count...
    assert set(redis_client.scan_iter(match="groomwatch:*")) == others  # ...and nothing else


def test_the_ladder_doubles_to_its_cap_and_a_success_clears_it(redis_client):
    throttle = RedisLoginThrottle(redis_client)
    locks = [throttle.failed(["user:x"]) for _ in range(14)]
    assert locks[:5] == [[]] * 5
    assert [seconds for ((key, seconds),) in locks[5:]] == [15, 30, 60, 120, 240, 480, 900, 900,
                                                            900]
    assert {key for ((key, _),) in locks[5:]} == {"user:x"}
    assert 0 < throttle.wait(["user:y", "user:x"]) <= 900 and throttle.wait(["user:y"]) == 0
    throttle.succeeded(["user:x"])
    assert throttle.wait(["user:x"]) == 0 and throttle.failed(["user:x"]) == []


def test_an_hour_without_failures_forgets_the_count_on_the_server_clock(redis_client):
    throttle = RedisLoginThrottle(redis_client)
    for _ in range(5):
        throttle.failed(["user:x", "addr:1"])
    key = hashed_key("login", "user:x")
    seconds, micros = redis_client.time()
    redis_client.hset(key, "last", seconds + micros / 1e6 - 3601)  # its last failure: an hour ago
    assert throttle.failed(["user:x", "addr:1"]) == [("addr:1", 15.0)]  # user:x counts from 1
    assert int(redis_client.hget(key, "f")) == 1


def test_a_lock_ends_and_an_idle_key_expires_with_small_parameters(redis_client):
    import time

    throttle = RedisLoginThrottle(redis_client, free=1, base_seconds=0.2, max_seconds=0.2,
                                  forget_seconds=0.5)
    assert throttle.failed(["user:x"]) == []
    assert throttle.failed(["user:x"]) == [("user:x", 0.2)]
    time.sleep(0.6)  # past the lock and the forget window: Redis dropped the key
    assert throttle.wait(["user:x"]) == 0 and _login_keys(redis_client) == []
    assert throttle.failed(["user:x"]) == []  # the count starts again


def test_a_browser_that_logged_in_before_is_not_locked_out_at_another_worker(workers):
    a, b = workers
    lena = _browser(a)
    assert _try(lena, "lena", PASSWORD).headers["location"] == "/"  # gets the device cookie
    attacker = _browser(b, ATTACKER)
    for _ in range(8):
        _try(attacker, "lena", "guess")
    assert _try(_browser(a, ("10.0.0.7", 4000)), "lena", PASSWORD).status_code == 429
    at_b = _browser(b)
    at_b.cookies = lena.cookies  # the same browser, its next connection at the other worker
    assert _try(at_b, "lena", PASSWORD).headers["location"] == "/"


def test_redis_down_refuses_login_with_503_before_any_password_check(workers, hasher, caplog):
    a, _ = workers
    gone = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    a.state.login_throttle = RedisLoginThrottle(gone)
    work = hasher.calls
    with caplog.at_level(logging.WARNING, logger="groomwatch.serving"):
        refused = _try(_browser(a, ATTACKER), "lena", PASSWORD)
    assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
    assert "Login is unavailable" in refused.text and "Redis" in refused.text  # the form says why
    assert 'name="csrf"' in refused.text  # and can be sent again
    assert hasher.calls == work and _audited(a, "login") == [] == _audited(a, "login.failed")
    assert "ConnectionError" in caplog.text
    assert "lena" not in caplog.text and PASSWORD not in caplog.text


def test_redis_lost_after_the_check_leaves_a_wrong_guess_unanswered(workers, monkeypatch):
    a, _ = workers
    gone = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    throttle = a.state.login_throttle
    monkeypatch.setattr(throttle, "_failed", gone.register_script("return 0"))
    refused = _try(_browser(a, ATTACKER), "lena", "guess")  # wait() answered, failed() cannot
    assert refused.status_code == 503 and "location" not in refused.headers
    assert _audited(a, "login.failed") == []  # rolled back with the login's transaction


def test_redis_down_lets_a_success_through_and_only_logs(caplog):
    throttle = RedisLoginThrottle(redis.Redis(host="127.0.0.1", port=1,
                                              socket_connect_timeout=0.5))
    with caplog.at_level(logging.WARNING, logger="groomwatch.serving"):
        throttle.succeeded(["user:lena"])  # the session is open already: only logged
    assert "expire by themselves" in caplog.text and "lena" not in caplog.text
