"""Hostile input and failing parts (issue 15): one bad item never fails another request, the same
limits and 4xx answers on SQLite and PostgreSQL, impossible review IDs, duplicate
conversations, and a 500 that leaves its connection usable.

Storage tests run on SQLite and, when GROOMWATCH_TEST_POSTGRES_URL is set (`.ci/run` starts a
throwaway server), on PostgreSQL too (the shared ``backend_url`` fixture).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from groomwatch.errors import ConfigError
from groomwatch.serving import scoring
from groomwatch.serving.app import create_app
from groomwatch.serving.auth import DEVICE_COOKIE, LOGIN_CSRF_COOKIE, add_api_key, add_user
from groomwatch.serving.batcher import ScoringBatcher
from groomwatch.serving.db import Database, Review
from groomwatch.serving.schemas import MAX_ID_CHARS
from groomwatch.serving.scoring import ScoreJob, Scorer
from groomwatch.serving.settings import Settings
from groomwatch.serving.web import MAX_REVIEW_ID


@pytest.fixture
def store_app(backend_url: str, detector):
    """An app on each backend (``backend_url`` runs the test on SQLite and PostgreSQL)."""
    app = create_app(Settings(db_url=backend_url, double_review_rate=0.0), detector)
    yield app
    app.state.api_keys.close()
    app.state.db.dispose()


def _api(app, client_name: str = "provider-a") -> TestClient:
    key = add_api_key(app.state.db, client_name)
    return TestClient(app, base_url="https://testserver",
                      headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def api(store_app) -> Iterator[TestClient]:
    with _api(store_app) as client:
        yield client


def _post(client: TestClient, path: str, body: object):
    """POST JSON as a hostile client may write it: ``\\ud800`` escapes and NULs pass as such."""
    return client.post(path, content=json.dumps(body),
                       headers={"content-type": "application/json"})


def _reviews(app) -> list[Review]:
    with app.state.db.transaction() as session:
        return list(session.scalars(select(Review).order_by(Review.id)))


def _problem_fields(answer) -> list[str]:
    return [".".join(str(part) for part in p["loc"]) for p in answer.json()["detail"]]


# --- item 8: the same limits and the same 422 on every backend ------------------------------


def _with_nul(chat, field: str) -> dict:
    record = chat(0, grooming=True)
    if field == "conversation_id":
        record["conversation_id"] = "conv\x00one"
    elif field == "author_id":
        record["participants"][0]["author_id"] = "a\x00"
    else:
        record[field] = "e\x00"
    return record


@pytest.mark.parametrize("field", ["conversation_id", "author_id", "language", "platform"])
def test_a_nul_in_an_identifier_is_refused_before_storage(store_app, api, chat, field):
    answer = _post(api, "/v1/conversations/score", {"conversations": [_with_nul(chat, field)]})
    assert answer.status_code == 422, answer.text
    assert any(f.endswith(field) for f in _problem_fields(answer))
    assert _reviews(store_app) == []
    valid = api.post("/v1/conversations/score", json={"conversations": [chat(1, True)]})
    assert valid.status_code == 200 and valid.json()["results"][0]["review_id"] is not None


def test_ids_longer_than_their_column_are_refused_on_every_backend(store_app, api, chat):
    too_long = {**chat(0, True), "conversation_id": "c" * (MAX_ID_CHARS + 1)}
    answer = api.post("/v1/conversations/score", json={"conversations": [too_long]})
    assert answer.status_code == 422
    assert "body.BatchIn.conversations.0.conversation_id" in _problem_fields(answer)
    longest = {**chat(0, True), "conversation_id": "c" * MAX_ID_CHARS}
    stored = api.post("/v1/conversations/score", json={"conversations": [longest]})
    assert stored.status_code == 200 and stored.json()["results"][0]["review_id"] is not None
    assert [r.conversation_id for r in _reviews(store_app)] == ["c" * MAX_ID_CHARS]


def _push(api: TestClient, stream_id: str, record: dict) -> list:
    roles = {p["author_id"]: p["role"] for p in record["participants"]}
    return [api.post(f"/v1/streams/{stream_id}/messages",
                     json={**m, "role": roles[m["author_id"]]}) for m in record["messages"]]


def test_stream_ids_have_the_conversation_id_limits(store_app, api, chat):
    message = {"author_id": "a", "text": "hello"}
    for bad in ("s" * (MAX_ID_CHARS + 1), "s%00t"):
        answer = api.post(f"/v1/streams/{bad}/messages", json=message)
        assert answer.status_code == 422, answer.text
        assert _problem_fields(answer) == ["path.conversation_id"]
        assert api.delete(f"/v1/streams/{bad}").status_code == 422
    assert len(store_app.state.streams) == 0
    # the longest allowed ID warns and is stored like any other
    answers = _push(api, "s" * MAX_ID_CHARS, chat(0, grooming=True))
    assert all(a.status_code == 200 for a in answers)
    assert any(a.json()["warned"] for a in answers)
    assert [r.conversation_id for r in _reviews(store_app)] == ["s" * MAX_ID_CHARS]


@pytest.mark.parametrize("name", ["c" * 101, "c\x00d"])
def test_client_and_account_names_have_the_same_limits_on_every_backend(store_app, name):
    db = store_app.state.db
    with pytest.raises(ConfigError, match="at most 100 characters and no NUL"):
        add_api_key(db, name)
    with pytest.raises(ConfigError, match="at most 100 characters and no NUL"):
        add_user(db, name, "reviewer", "correct horse battery staple")
    assert add_api_key(db, "c" * 100)  # the longest name fits every backend's column


# --- item 9: IDs that cannot name a review are 404 --------------------------------------------

IMPOSSIBLE_IDS = [str(2**63), str(2**64 + 5), str(MAX_REVIEW_ID + 1), "0", "-1", "abc", "1e3",
                  "\u0663", "9" * 5000]


def test_review_ids_no_review_can_have_are_404_everywhere(store_app, login):
    lead = login(store_app, "lena", "lead")
    for review_id in IMPOSSIBLE_IDS:
        assert lead.get(f"/review/{review_id}").status_code == 404, review_id
        for action, form in (("claim", {}), ("release", {}),
                             ("decide", {"outcome": "dismiss", "reason_dismiss": "benign"})):
            answer = lead.post(f"/review/{review_id}/{action}", follow_redirects=False,
                               data={"csrf": lead.csrf, **form})
            assert answer.status_code == 404, (action, review_id)


def test_hostile_form_fields_get_a_4xx_on_every_backend(store_app, api, chat, login):
    lead = login(store_app, "lena", "lead")
    browser = TestClient(store_app, base_url="https://testserver")
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text).group(1)
    form = {"username": "lena", "password": "wrong", "csrf": token}
    # PostgreSQL cannot store a NUL, and a failed login's name goes into the audit log
    assert browser.post("/login", data={**form, "username": "lena\x00"}).status_code == 422
    assert browser.post("/login", data={**form, "username": "n" * 101}).status_code == 422
    # tokens are compared in constant time, which refused non-ASCII text with a TypeError
    assert browser.post("/login", data={**form, "csrf": "\u00e9"}).status_code == 403
    assert lead.post("/logout", data={"csrf": "\u00e9"}).status_code == 403
    cookie = f"{LOGIN_CSRF_COOKIE}={browser.cookies[LOGIN_CSRF_COOKIE]}; {DEVICE_COOKIE}=\u00e9"
    answer = browser.post("/login", data=form, follow_redirects=False,
                          headers={"cookie": cookie.encode()})
    assert answer.status_code == 303  # back to the login page: a wrong password
    review_id = api.post("/v1/conversations/score", json=chat(0, True)).json()["results"][0]
    review_id = review_id["review_id"]
    lead.post(f"/review/{review_id}/claim", data={"csrf": lead.csrf})
    decision = {"csrf": lead.csrf, "outcome": "confirm", "reason_confirm": "grooming_pattern"}
    answer = lead.post(f"/review/{review_id}/decide", data={**decision, "note": "a\x00b"})
    assert answer.status_code == 422
    answer = lead.post(f"/review/{review_id}/decide", data={**decision, "note": "ok"},
                       follow_redirects=False)
    assert answer.status_code == 303 and _reviews(store_app)[0].status == "confirmed"


# --- item 10: one review per conversation -----------------------------------------------------


def test_a_batch_naming_one_conversation_twice_is_refused(store_app, api, chat):
    batch = {"conversations": [chat(0, True), chat(1, True), chat(0, True)]}
    answer = api.post("/v1/conversations/score", json=batch)
    assert answer.status_code == 422
    assert "g0-0" in answer.json()["detail"] and "g0-1" not in answer.json()["detail"]
    assert _reviews(store_app) == []


def test_resubmitting_a_queued_conversation_returns_its_review(store_app, api, chat):
    first = api.post("/v1/conversations/score", json=chat(0, True)).json()["results"][0]
    again = api.post("/v1/conversations/score",
                     json={"conversations": [chat(1, True), chat(0, True)]}).json()["results"]
    assert again[1]["review_id"] == first["review_id"] is not None
    assert again[0]["review_id"] not in (None, first["review_id"])
    with _api(store_app, "provider-b") as other:  # another platform's conversation of that ID
        theirs = other.post("/v1/conversations/score", json=chat(0, True)).json()["results"][0]
    assert theirs["review_id"] not in (None, first["review_id"])
    reviews = _reviews(store_app)
    assert [(r.client, r.conversation_id) for r in reviews] == [
        ("provider-a", "g0-0"), ("provider-a", "g0-1"), ("provider-b", "g0-0")]
    store_app.state.counts.flush(force=True)
    with store_app.state.db.transaction() as session:
        flags = session.scalar(text("SELECT value FROM counters "
                                    "WHERE name = 'conversations_flagged'"))
    assert flags == 3


def test_requests_merged_into_one_batch_share_one_review(store_app, records):
    conversation = records(1, seed=3)[0]
    scorer = store_app.state.batcher.scorer
    answers = scorer.score([ScoreJob("p", [conversation]), ScoreJob("p", [conversation])])
    ids = {answer[0]["review_id"] for answer in answers}
    assert len(ids) == 1 and None not in ids and len(_reviews(store_app)) == 1


def test_two_workers_queueing_one_conversation_at_once_make_one_review(store_app, records,
                                                                       monkeypatch):
    """Two processes' scorers (each its own engine) race on the same new conversations; each
    pauses between looking for an open review and adding its own, where a race would bite."""
    first = store_app.state.batcher.scorer
    second = Scorer(first.detector, Database(first.db.url), first.settings, first.counts)
    conversations = [c for c in records(10, seed=4) if c.label == 1]
    barrier = threading.Barrier(2)
    look_up = scoring.open_reviews

    def slow_look_up(session, keys):
        found = look_up(session, keys)
        time.sleep(0.2)
        return found

    monkeypatch.setattr(scoring, "open_reviews", slow_look_up)

    def work(scorer: Scorer) -> list[int]:
        ids = []
        for conversation in conversations:
            barrier.wait(timeout=30)
            ids.append(scorer.score([ScoreJob("p", [conversation])])[0][0]["review_id"])
        return ids

    with ThreadPoolExecutor(2) as pool:
        ids_first, ids_second = pool.map(work, (first, second))
    second.db.dispose()
    assert ids_first == ids_second and len(set(ids_first)) == len(conversations)
    assert len(_reviews(store_app)) == len(conversations)


# --- item 1: one bad request never fails another ----------------------------------------------


def test_a_lone_surrogate_is_refused_naming_its_field(store_app, api, chat):
    bad = chat(0, grooming=True)
    bad["messages"][3]["text"] = "bad \ud800 surrogate"
    answer = _post(api, "/v1/conversations/score", {"conversations": [chat(1, True), bad]})
    assert answer.status_code == 422
    assert "messages[3].text" in answer.json()["detail"] and "g0-0" in answer.json()["detail"]
    assert _reviews(store_app) == []
    good = api.post("/v1/conversations/score", json=chat(1, True))
    assert good.status_code == 200 and good.json()["results"][0]["review_id"] is not None


def test_a_refused_stream_message_never_enters_the_window(store_app, api, chat):
    record = chat(0, grooming=True)
    roles = {p["author_id"]: p["role"] for p in record["participants"]}
    warned = False
    for i, message in enumerate(record["messages"]):
        if i % 2 == 0:  # every adult line is first sent spoiled by a lone surrogate
            spoiled = {**message, "text": message["text"] + " \udfff"}
            refused = _post(api, "/v1/streams/live/messages", spoiled)
            assert refused.status_code == 422, refused.text
            assert refused.json()["detail"].startswith("text contains an invalid code point")
        answer = api.post("/v1/streams/live/messages",
                          json={**message, "role": roles[message["author_id"]]})
        assert answer.status_code == 200 and answer.json()["messages_kept"] == i + 1
        warned = warned or answer.json()["warned"]
    assert warned and len(_reviews(store_app)) == 1
    stored = [m["text"] for m in _reviews(store_app)[0].content["messages"]]
    assert stored == [m["text"] for m in record["messages"][:len(stored)]]


class FragileDetector:
    """The real detector, except that it breaks on conversations whose ID starts with 'bad'
    (as a lone surrogate once broke its n-gram counter)."""

    def __init__(self, detector) -> None:
        self.detector = detector

    def __getattr__(self, name: str):
        return getattr(self.detector, name)

    def predict_proba(self, conversations):
        if any(c.conversation_id.startswith("bad") for c in conversations):
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return self.detector.predict_proba(conversations)


class Gate:
    """Wraps a scorer: its first call waits until opened, so later requests queue behind it."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.calls: list[list[str]] = []

    def score(self, jobs):
        self.entered.set()
        self.opened.wait(timeout=10)
        self.calls.append([job.client for job in jobs])
        return self.scorer.score(jobs)


def test_a_request_that_breaks_the_detector_fails_alone(app, records):
    base = app.state.batcher.scorer
    gate = Gate(Scorer(FragileDetector(base.detector), base.db, base.settings, base.counts))
    batcher = ScoringBatcher(gate)
    convs = records(4, seed=9)
    jobs = [ScoreJob("first", convs[:1]),
            ScoreJob("bad", [replace(convs[1], conversation_id="bad-1")]),
            ScoreJob("good", convs[2:])]

    async def run():
        tasks = [asyncio.create_task(batcher.score(jobs[0]))]
        while not gate.entered.is_set():
            await asyncio.sleep(0.001)
        tasks += [asyncio.create_task(batcher.score(job)) for job in jobs[1:]]
        await asyncio.sleep(0.05)
        gate.opened.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    try:
        first, bad, good = asyncio.run(run())
    finally:
        batcher.close()
    assert gate.calls[:2] == [["first"], ["bad", "good"]]  # the two were merged, then split
    assert isinstance(bad, UnicodeEncodeError)
    assert [r["conversation_id"] for r in good] == [c.conversation_id for c in convs[2:]]
    flagged = [r["review_id"] for r in first + good if r["flagged"]]
    assert flagged and sorted(flagged) == [r.id for r in _reviews(app)]


# --- item 7: a database held by someone else delays only the requests that need it -------------

HOLD_SECONDS = 3.0


def test_a_held_sqlite_write_lock_does_not_stall_the_server(start_server, chat):
    server = start_server("--insecure-cookies")
    record = chat(0, grooming=True, n_messages=20)
    roles = {p["author_id"]: p["role"] for p in record["participants"]}
    auth = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.url, timeout=60, headers=auth) as http:
        assert http.post("/v1/streams/warm-up/messages", json=record["messages"][0]).is_success
    answers: list[tuple[float, httpx.Response]] = []

    def stream() -> None:  # warns within a few messages: its commit waits for the lock
        with httpx.Client(base_url=server.url, timeout=60, headers=auth) as http:
            for message in record["messages"]:
                start = time.perf_counter()
                answer = http.post("/v1/streams/live/messages",
                                   json={**message, "role": roles[message["author_id"]]})
                answers.append((time.perf_counter() - start, answer))

    # a neighbour (a CLI command, a backup, another process) holds SQLite's write lock
    neighbour = sqlite3.connect(server.db_url.removeprefix("sqlite:///"), isolation_level=None)
    neighbour.execute("BEGIN IMMEDIATE")
    streaming = threading.Thread(target=stream)
    streaming.start()
    health: list[float] = []
    try:
        with httpx.Client(base_url=server.url, timeout=60) as http:
            until = time.monotonic() + HOLD_SECONDS
            while time.monotonic() < until:
                start = time.perf_counter()
                assert http.get("/health").status_code == 200
                health.append(time.perf_counter() - start)
                time.sleep(0.05)
    finally:
        neighbour.execute("COMMIT")
        neighbour.close()
        streaming.join(timeout=60)
    assert max(seconds for seconds, _ in answers) > 1.0  # an append did wait for the lock...
    assert max(health) < 1.0  # ...while the server kept answering everyone else
    assert all(answer.status_code == 200 for _, answer in answers)  # waited, did not fail
    assert any(answer.json()["warned"] for _, answer in answers)


# --- item 15: a 500 keeps its connection --------------------------------------------------


def _exchange(connection: socket.socket, reader, method: str, path: str, api_key: str,
              body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request and its answer on an open connection (kept alive)."""
    connection.sendall(
        f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body)
    status_line = reader.readline()
    assert status_line, "the server closed the connection"
    headers = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, reader.read(int(headers["content-length"]))


def test_after_a_500_the_same_connection_still_answers(start_server, chat, secret_word):
    server = start_server("--insecure-cookies")
    path = server.db_url.removeprefix("sqlite:///")
    flag = json.dumps(chat(0, grooming=True)).encode()
    with sqlite3.connect(path) as neighbour:  # storage breaks under the running server
        neighbour.execute("ALTER TABLE reviews RENAME TO reviews_elsewhere")
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        reader = connection.makefile("rb")
        failed = _exchange(connection, reader, "POST", "/v1/conversations/score",
                           server.api_key, flag)
        assert _exchange(connection, reader, "GET", "/health", server.api_key)[0] == 200
        status, headers, body = failed
        assert status == 500 and json.loads(body) == {"detail": "internal server error"}
        assert headers["content-type"] == "application/json"
        with sqlite3.connect(path) as neighbour:
            neighbour.execute("ALTER TABLE reviews_elsewhere RENAME TO reviews")
        status, _, body = _exchange(connection, reader, "POST", "/v1/conversations/score",
                                    server.api_key, flag)
        assert status == 200 and json.loads(body)["results"][0]["review_id"] is not None
    log = server.log.read_text()
    assert "failed: OperationalError" in log
    assert secret_word not in log  # the database error quoted the chat; the log must not

