"""Stream state in a real Redis: shared by workers, atomic per stream, expiring, minimised;
and every store's state bounded by the window and by a per-client quota.

The Redis tests need ``GROOMWATCH_TEST_REDIS_URL`` (``.ci/run`` starts a throwaway,
non-persisting ``redis-server`` and sets it); without it they are skipped (the ``redis_url``
fixture). Each empties that Redis database first.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
import redis
from fastapi.testclient import TestClient

from groomwatch.data.record import Conversation, Message
from groomwatch.models.early_warning import EarlyWarning
from groomwatch.serving import counters
from groomwatch.serving.app import create_app
from groomwatch.serving.auth import add_api_key
from groomwatch.serving.db import Review
from groomwatch.serving.stream_store_redis import (
    PREFIX,
    RedisStreamStore,
    persistence_problems,
    state_of,
)


@pytest.fixture
def redis_settings(settings, redis_url, redis_client):
    return replace(settings, streams_url=redis_url)


def _worker(settings, detector, client_name: str = "provider"):
    """One 'worker': its own app (own store, batcher, limiter) on the shared Redis and DB."""
    app = create_app(settings, detector)
    key = add_api_key(app.state.db, client_name)
    return app, TestClient(app, base_url="https://testserver",
                           headers={"Authorization": f"Bearer {key}"})


def _messages(chat, grooming: bool, n: int = 30, index: int = 0) -> list[dict]:
    record = chat(index, grooming=grooming, n_messages=n)
    roles = {p["author_id"]: p["role"] for p in record["participants"]}
    return [{**m, "role": roles[m["author_id"]]} for m in record["messages"]]


def _push(client, cid: str, messages: list[dict]) -> list[dict]:
    answers = []
    for message in messages:
        answer = client.post(f"/v1/streams/{cid}/messages", json=message)
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
    return answers


def _reviews(app) -> list[Review]:
    with app.state.db.transaction() as session:
        return [(r.id, r.origin, len(r.content["messages"])) for r in session.query(Review)]


def test_redis_streams_warn_like_the_in_process_store_and_offline_rule(
        settings, redis_settings, detector, chat, records):
    messages = _messages(chat, grooming=True)
    _, local = _worker(settings, detector)
    with local:
        expected = _push(local, "live", messages)
    shared_app, shared = _worker(replace(redis_settings, db_url=settings.db_url + "-2"),
                                 detector)
    with shared:
        got = _push(shared, "live", messages)
    assert [a["warned"] for a in got] == [a["warned"] for a in expected]
    assert [a["messages_kept"] for a in got] == [a["messages_kept"] for a in expected]
    assert [a["score"] for a in got] == [a["score"] for a in expected]  # to the bit
    first = next(i for i, a in enumerate(got) if a["warned"])
    offline = EarlyWarning(detector).run(records(1, seed=0)[0])
    assert offline.warning_at == first + 1  # the message an offline evaluation names
    assert [r[1:] for r in _reviews(shared_app)] == [("stream", first + 1)]


def test_each_message_at_another_of_four_workers_scores_as_offline_to_the_bit(
        settings, redis_settings, detector, chat, redis_client):
    """The worst case for the workers' copies: every append finds its worker's copy stale and
    resumes the window's scorer state (summed n-gram counts) another worker wrote."""
    messages = _messages(chat, grooming=True, n=70)
    workers = [_worker(redis_settings, detector) for _ in range(4)]
    _, local = _worker(replace(settings, db_url=settings.db_url + "-one"), detector)
    with local, workers[0][1], workers[1][1], workers[2][1], workers[3][1]:
        got = [_push(workers[i % 4][1], "spread", [message])[0]
               for i, message in enumerate(messages)]
        one = _push(local, "spread", messages)
        kept = state_of(workers[0][0].state.streams.store, ("provider", "spread"))
    rule = EarlyWarning(detector, window=settings.stream_window,
                        history=settings.stream_history)
    offline = rule.run(Conversation("spread", [], [Message(m["author_id"], m["text"])
                                                   for m in messages]))
    assert [a["score"] for a in got] == [a["score"] for a in one] == list(offline.window_scores)
    assert [a["warned"] for a in got] == [a["warned"] for a in one]
    assert next(i for i, a in enumerate(got) if a["warned"]) + 1 == offline.warning_at
    assert len(kept["m"]) == settings.stream_window < len(messages)  # the window moved
    assert kept["c"] and len(kept["c"]) < 16_384  # the scorer's state: counts, not text
    assert not any(m["text"].encode() in kept["c"] for m in messages if len(m["text"]) > 3)


def test_two_workers_appending_at_once_give_one_window_and_one_warning(
        redis_settings, detector, chat, redis_client):
    app_a, worker_a = _worker(redis_settings, detector)
    _, worker_b = _worker(redis_settings, detector)
    messages = _messages(chat, grooming=True, n=40)
    answers: list[dict] = []
    start = threading.Barrier(2)

    def send(client, part: list[dict]) -> None:
        start.wait()
        answers.extend(_push(client, "shared", part))

    with worker_a, worker_b:
        threads = [threading.Thread(target=send, args=(worker_a, messages[0::2])),
                   threading.Thread(target=send, args=(worker_b, messages[1::2]))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        store = app_a.state.streams.store
        kept = state_of(store, ("provider", "shared"))
        # every append was applied once, one after the other: no message lost or doubled
        assert sorted(a["messages_kept"] for a in answers) == list(range(1, 41))
        assert sorted(tuple(m[:2]) for m in kept["m"]) == sorted(
            (m["author_id"], m["text"]) for m in messages)
        assert kept["n"] == 40
        # replaying the order the store applied gives the same scores and the same warning
        _, replay = _worker(replace(redis_settings, streams_url="",
                                             db_url=redis_settings.db_url + "-replay"),
                                     detector)
        with replay:
            ordered = [{"author_id": a, "text": t, "role": "unknown"} for a, t, _ in kept["m"]]
            expected = _push(replay, "shared", ordered)
    by_position = sorted(answers, key=lambda a: a["messages_kept"])
    assert [a["score"] for a in by_position] == [a["score"] for a in expected]
    assert [a["warned"] for a in by_position] == [a["warned"] for a in expected]
    reviews = _reviews(app_a)
    assert len(reviews) == 1 and reviews[0][1] == "stream"  # one warning, queued once
    assert {a["review_id"] for a in answers if a["review_id"]} == {reviews[0][0]}
    with app_a.state.db.transaction() as session:  # each worker added its counts at shutdown
        totals = counters.read_all(session)
    assert totals[counters.STREAM_MESSAGES] == 40 and totals[counters.STREAM_WARNINGS] == 1


def test_windows_expire_by_redis_ttl(redis_settings, detector, chat, redis_client):
    _, client = _worker(replace(redis_settings, stream_ttl_seconds=0.3), detector)
    with client:
        _push(client, "short", _messages(chat, grooming=False, n=3))
        stream_key = RedisStreamStore.keys(("provider", "short"))[0][0]
        assert 0 < redis_client.pttl(stream_key) <= 300
        time.sleep(0.5)
        assert not list(redis_client.scan_iter(match=f"{PREFIX}stream:*"))
        assert not list(redis_client.scan_iter(match=f"{PREFIX}client:*"))
        assert client.delete("/v1/streams/short").status_code == 404


def test_delete_leaves_no_text_in_redis(redis_settings, detector, chat, redis_client,
                                        secret_word):
    _, client = _worker(redis_settings, detector)
    with client:
        _push(client, "private", _messages(chat, grooming=False, n=12))
        assert secret_word.encode() in _everything(redis_client)
        assert client.delete("/v1/streams/private").status_code == 204
        assert secret_word.encode() not in _everything(redis_client)
        assert not list(redis_client.scan_iter(match=f"{PREFIX}stream:*"))
        assert client.delete("/v1/streams/private").status_code == 404


def _everything(client: redis.Redis) -> bytes:
    """Every key and value in the database, as bytes (strings, hashes and sorted sets)."""
    out = []
    for key in client.scan_iter():
        out.append(key)
        kind = client.type(key)
        if kind == b"string":
            out.append(client.get(key))
        elif kind == b"hash":
            out.extend(b"%s=%s" % item for item in client.hgetall(key).items())
        elif kind == b"zset":
            out.extend(client.zrange(key, 0, -1))
    return b"\n".join(out)


def test_a_dead_appenders_lock_delays_the_stream_only_until_its_timeout(
        redis_settings, detector, chat, redis_client):
    _, client = _worker(replace(redis_settings, stream_lock_seconds=0.4), detector)
    messages = _messages(chat, grooming=False, n=4)
    with client:
        _push(client, "orphan", messages[:2])
        lock_key = RedisStreamStore.keys(("provider", "orphan"))[0][1]
        # a worker killed while appending leaves its lock behind, with the state untouched
        redis_client.set(lock_key, "dead-worker", px=400)
        started = time.monotonic()
        answer = _push(client, "orphan", messages[2:3])[0]
        assert 0.2 < time.monotonic() - started < 2.0
        assert answer["messages_kept"] == 3


def test_the_client_quota_holds_across_workers_and_spares_other_clients(
        redis_settings, detector, chat):
    settings = replace(redis_settings, max_streams_per_client=2)
    _, first = _worker(settings, detector, "provider")
    _, second = _worker(settings, detector, "provider")
    _, other = _worker(settings, detector, "other-provider")
    message = _messages(chat, grooming=False, n=1)
    with first, second, other:
        _push(first, "one", message)
        _push(second, "two", message)
        refused = second.post("/v1/streams/three/messages", json=message[0])
        assert refused.status_code == 429 and "open streams" in refused.json()["detail"]
        _push(first, "one", message)  # an open stream still takes messages
        _push(other, "one", message)  # another client's quota is its own
        assert first.delete("/v1/streams/two").status_code == 204
        _push(second, "three", message)


def test_rate_limits_are_shared_by_the_workers(redis_settings, detector, chat):
    settings = replace(redis_settings, rate_per_second=0.5, rate_burst=3)
    _, first = _worker(settings, detector)
    _, second = _worker(settings, detector)
    body = _messages(chat, grooming=False, n=1)[0]
    with first, second:
        codes = [(first if i % 2 else second).post("/v1/streams/r/messages", json=body)
                 .status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]  # three tokens in all, not three per worker


def test_a_worker_that_stops_closes_every_redis_connection_it_opened(
        redis_settings, detector, chat, redis_client):
    """The stream store, its pub/sub listener and both rate-limit clients (sync, asyncio)."""
    def connections() -> int:
        return len(redis_client.client_list())

    before = connections()
    _, client = _worker(redis_settings, detector)
    with client:
        _push(client, "c", _messages(chat, grooming=False, n=2))  # the asyncio client connects
        assert connections() >= before + 3
    deadline = time.monotonic() + 5  # the pub/sub thread notices within its 1 s poll
    while connections() > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert connections() == before


def test_the_ci_redis_keeps_nothing_on_disk(redis_client):
    assert persistence_problems(redis_client) == []
    saved = redis_client.config_get("save")["save"]
    redis_client.config_set("save", "3600 1")
    try:
        assert persistence_problems(redis_client) == ['RDB snapshots are on (set save "")']
    finally:
        redis_client.config_set("save", saved)


def test_an_unreachable_redis_gives_503_and_logs_no_text(redis_settings, detector, chat,
                                                          caplog, secret_word):
    from fastapi import HTTPException

    from groomwatch.data.record import Message
    from groomwatch.serving.counters import CounterBuffer
    from groomwatch.serving.db import Database
    from groomwatch.serving.streams import Streams

    gone = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    db = Database(redis_settings.db_url)
    streams = Streams(detector, db, redis_settings, CounterBuffer(db),
                      store=RedisStreamStore(redis_settings, client=gone))
    with pytest.raises(HTTPException) as refused:
        streams.push("provider", "c", Message(author_id="a", text=f"hi {secret_word}"), "adult")
    assert refused.value.status_code == 503 and refused.value.headers["Retry-After"] == "1"
    assert "ConnectionError" in caplog.text and secret_word not in caplog.text
    db.dispose()


def test_a_streams_state_stays_within_its_window_however_long_the_stream(settings):
    """Issue 15: score history and role maps grew with the stream (3,000 after 3,000 messages)."""
    from groomwatch.data.record import Message
    from groomwatch.serving.stream_store import MemoryStreamStore

    store = MemoryStreamStore(replace(settings, stream_window=50, stream_history=10))
    for i in range(3000):
        with store.open(("provider", "long")) as state:
            state.append(Message(author_id=f"author-{i}", text=f"message {i}"), "adult", 50)
            state.record(i / 3000, 10)
    with store.open(("provider", "long")) as state:
        assert len(state.messages) == 50 and state.messages[0][1] == "message 2950"
        assert set(state.roles) == {f"author-{i}" for i in range(2950, 3000)}
        assert len(state.scores) == 10 and state.seen == 3000


def test_one_client_at_its_quota_cannot_push_out_anothers_streams(settings, detector, chat):
    app = create_app(replace(settings, max_streams_per_client=2), detector)
    keys = {name: add_api_key(app.state.db, name) for name in ("greedy", "other")}
    message = _messages(chat, grooming=False, n=1)[0]
    with TestClient(app, base_url="https://testserver") as client:
        def post(name: str, cid: str) -> int:
            return client.post(f"/v1/streams/{cid}/messages", json=message,
                               headers={"X-API-Key": keys[name]}).status_code

        assert [post("other", "mine"), post("greedy", "a"), post("greedy", "b")] == [200] * 3
        assert [post("greedy", c) for c in ("c", "d", "e")] == [429] * 3
        assert post("other", "mine") == 200 and len(app.state.streams) == 3


def _appender(text: str):
    """A change adding one message and counting the runs that held the stream."""
    from groomwatch.data.record import Message

    held: list[bool] = []

    def change(state, exclusive: bool) -> int:
        state.append(Message(author_id="a", text=text), "unknown", 50)
        held.append(exclusive)
        return state.seen

    return change, held


def _texts(store, key) -> list[str]:
    return [m[1] for m in state_of(store, key)["m"]]


def test_a_worker_whose_copy_is_stale_still_extends_the_current_window(redis_settings):
    """Each worker keeps the state it wrote last and writes the next append in one round trip
    if no one else wrote meanwhile; after another worker's append it must not reuse its copy."""
    a, b = RedisStreamStore(redis_settings), RedisStreamStore(redis_settings)
    key = ("provider", "s")
    try:
        change, held = _appender("one")
        a.update(key, change)
        change, held = _appender("two")
        a.update(key, change)
        assert held == [False]  # optimistic: one round trip, not the lock
        change, _ = _appender("three")
        b.update(key, change)  # a's copy is stale now
        change, held = _appender("four")
        seen, state = a.update(key, change)
        assert held[-1] is True and seen == 4  # discarded, then applied holding the stream
        assert _texts(a, key) == ["one", "two", "three", "four"]
        assert [m[1] for m in state.messages] == ["one", "two", "three", "four"]
        change, held = _appender("five")
        b.update(key, change)  # b's copy is stale too
        assert _texts(b, key) == ["one", "two", "three", "four", "five"]
    finally:
        a.close()
        b.close()


def test_a_change_that_must_act_outside_the_state_runs_once_holding_the_stream(
        redis_settings):
    from groomwatch.data.record import Message
    from groomwatch.serving.stream_store import NeedsExclusive

    store = RedisStreamStore(redis_settings)
    key = ("provider", "q")
    acts: list[int] = []

    def change(state, exclusive: bool) -> None:
        state.append(Message(author_id="a", text="x"), "unknown", 50)
        if state.seen == 2:
            if not exclusive:
                raise NeedsExclusive
            acts.append(state.seen)

    try:
        for _ in range(3):
            store.update(key, change)
        assert acts == [2] and state_of(store, key)["n"] == 3
    finally:
        store.close()


def test_a_delete_at_one_worker_empties_every_workers_copy(redis_settings, secret_word):
    a, b = RedisStreamStore(redis_settings), RedisStreamStore(redis_settings)
    key = ("provider", "gone")
    try:
        change, _ = _appender(f"hello {secret_word}")
        a.update(key, change)
        member = a.keys(key)[1]
        assert member in a._cache
        assert b.drop(key)
        deadline = time.monotonic() + 5
        while member in a._cache and time.monotonic() < deadline:
            time.sleep(0.05)
        assert member not in a._cache  # the text left a's memory too, not just Redis
        change, _ = _appender("again")
        seen, state = a.update(key, change)
        assert seen == 1 and [m[1] for m in state.messages] == ["again"]  # a new stream
    finally:
        a.close()
        b.close()


def test_a_worker_that_may_miss_delete_notices_keeps_no_copies(redis_settings, caplog):
    store = RedisStreamStore(redis_settings)
    key = ("provider", "deaf")
    try:
        change, _ = _appender("one")
        store.update(key, change)
        assert store._cache
        store._listener.pubsub.connection.disconnect()  # as when Redis restarts
        deadline = time.monotonic() + 5
        while store._listener is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store._listener is None and not store._cache
        assert "stream cache off" in caplog.text
        change, held = _appender("two")
        store.update(key, change)
        assert held == [True] and not store._cache  # every append holds the stream now
        assert _texts(store, key) == ["one", "two"]
    finally:
        store.close()
