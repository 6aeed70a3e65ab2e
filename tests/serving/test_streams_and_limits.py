"""Streaming early warning, authentication, rate limits, health/metrics and log hygiene."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from groomwatch.serving import limits
from groomwatch.serving.app import create_app
from groomwatch.serving.auth import add_api_key
from groomwatch.serving.db import Review


def _push_chat(client, chat, cid: str, grooming: bool, n: int = 30) -> list[dict]:
    record = chat(0, grooming=grooming, n_messages=n)
    roles = {p["author_id"]: p["role"] for p in record["participants"]}
    answers = []
    for message in record["messages"]:
        answer = client.post(f"/v1/streams/{cid}/messages",
                             json={**message, "role": roles[message["author_id"]]})
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
    return answers


def test_stream_warns_and_queues_the_conversation_so_far_once(client, app, chat):
    answers = _push_chat(client, chat, "live-1", grooming=True)
    first = next(i for i, a in enumerate(answers) if a["warned"])
    assert first >= 2  # the rule needs s=3 window votes over the threshold
    review_ids = {a["review_id"] for a in answers[first:]}
    assert len(review_ids) == 1 and None not in review_ids
    with app.state.db.transaction() as session:
        review = session.get(Review, review_ids.pop())
        assert review.origin == "stream" and len(review.content["messages"]) == first + 1
        assert {p["role"] for p in review.content["participants"]} == {"adult", "child"}


def test_benign_stream_stores_nothing_and_delete_drops_state(client, app, chat, secret_word):
    answers = _push_chat(client, chat, "live-2", grooming=False)
    assert not any(a["warned"] for a in answers)
    assert answers[-1]["messages_kept"] == 30
    assert len(app.state.streams) == 1
    assert client.delete("/v1/streams/live-2").status_code == 204
    assert len(app.state.streams) == 0
    assert client.delete("/v1/streams/live-2").status_code == 404
    with app.state.db.transaction() as session:
        assert session.query(Review).count() == 0


def _stream_app(settings, detector, **limits):
    app = create_app(replace(settings, **limits), detector)
    key = add_api_key(app.state.db, "p")
    return app, TestClient(app, base_url="https://testserver",
                           headers={"Authorization": f"Bearer {key}"})


def test_streams_are_bounded_in_size_and_count(settings, detector, chat):
    app, client = _stream_app(settings, detector, stream_window=5, max_streams=3)
    with client:
        assert _push_chat(client, chat, "one", grooming=False, n=8)[-1]["messages_kept"] == 5
        for cid in ("two", "three"):
            _push_chat(client, chat, cid, grooming=False, n=1)
        full = client.post("/v1/streams/four/messages", json={"author_id": "a", "text": "hi"})
        assert full.status_code == 429 and "open streams" in full.json()["detail"]
        assert len(app.state.streams) == 3
        assert client.delete("/v1/streams/one").status_code == 204  # nothing was evicted
        _push_chat(client, chat, "four", grooming=False, n=1)  # room again
        assert client.delete("/v1/streams/four").status_code == 204


def test_idle_streams_expire(settings, detector, chat):
    app, client = _stream_app(settings, detector, stream_ttl_seconds=0.0)
    with client:
        _push_chat(client, chat, "one", grooming=False, n=3)
        _push_chat(client, chat, "two", grooming=False, n=1)
        assert len(app.state.streams) == 1
        assert client.delete("/v1/streams/one").status_code == 404


def test_authentication_and_roles(app, api_key, chat):
    with TestClient(app, base_url="https://testserver") as anonymous:
        answer = anonymous.post("/v1/conversations/score", json=chat(1, True))
        assert answer.status_code == 401 and "API key" in answer.json()["detail"]
        answer = anonymous.post("/v1/conversations/score", json=chat(1, True),
                                headers={"Authorization": "Bearer gwk_wrong"})
        assert answer.status_code == 401 and "unknown API key" in answer.json()["detail"]
        assert anonymous.get("/v1/stats").status_code == 401
        answer = anonymous.get("/v1/stats", headers={"Authorization": f"Bearer {api_key}"})
        assert answer.status_code == 403 and "client" in answer.json()["detail"]


def test_rate_limit_per_key(settings, detector, chat):
    app = create_app(replace(settings, rate_per_second=0.5, rate_burst=3), detector)
    first, second = add_api_key(app.state.db, "p1"), add_api_key(app.state.db, "p2")
    with TestClient(app, base_url="https://testserver") as client:
        codes = [client.post("/v1/conversations/score", json=chat(i, False),
                             headers={"X-API-Key": first}).status_code for i in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        limited = client.post("/v1/conversations/score", json=chat(9, False),
                              headers={"X-API-Key": first})
        # the wait depends on how fast this machine ran the requests; exact values are below
        assert 1 <= int(limited.headers["retry-after"]) <= 2 and "rate limit" in limited.text
        other = client.post("/v1/conversations/score", json=chat(9, False),
                            headers={"X-API-Key": second})
        assert other.status_code == 200  # the limit is per key


def test_retry_after_is_the_wait_for_one_token_rounded_up(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(limits.time, "monotonic", lambda: clock[0])
    limiter = limits.RateLimiter(rate=0.5, burst=3)
    for _ in range(3):
        limiter.check("p1")

    def retry_after() -> str:
        with pytest.raises(HTTPException) as refused:
            limiter.check("p1")
        assert refused.value.status_code == 429
        return refused.value.headers["Retry-After"]

    assert retry_after() == "2"  # an empty bucket refills one token in 2 s
    clock[0] += 1.5  # 0.75 tokens: 0.5 s to go, never rounded down to "now"
    assert retry_after() == "1"
    clock[0] += 0.5
    limiter.check("p1")  # a whole token again


def test_health_ready_metrics_and_docs(client, chat):
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready", "detector": "tfidf-lr"}
    client.post("/v1/conversations/score", json=chat(1, True))
    metrics = client.get("/metrics").text
    assert 'groomwatch_queue_items{state="queued"} 1.0' in metrics
    assert ('groomwatch_requests_total{route="/v1/conversations/score",status="200"} 1.0'
            in metrics)
    schema = client.get("/openapi.json").json()
    assert "/v1/conversations/score" in schema["paths"] and "/login" not in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_logs_never_contain_message_text(client, app, chat, secret_word, caplog, login):
    caplog.set_level(logging.DEBUG)
    client.post("/v1/conversations/score", json={"conversations": [chat(i, i % 2 == 0)
                                                                   for i in range(4)]})
    _push_chat(client, chat, "live-3", grooming=True, n=10)
    bad = chat(1, True)
    bad["messages"][2]["author_id"] = "nobody"
    client.post("/v1/conversations/score", json=bad)
    rita = login(app, "rita")
    review_id = rita.post("/queue/next", data={"csrf": rita.csrf},
                          follow_redirects=False).headers["location"]
    assert secret_word in rita.get(review_id).text  # the review page is where text is shown
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/v1/conversations/score" in logged  # requests are logged ...
    assert secret_word not in logged  # ... but never their text


def test_each_request_logs_at_debug_not_info(client, chat, caplog):
    """With N workers an INFO line per request floods the log; the line is there for DEBUG."""
    caplog.set_level(logging.INFO, logger="groomwatch.serving")
    _push_chat(client, chat, "quiet", grooming=False, n=3)
    assert not [r for r in caplog.records if "/v1/streams" in r.getMessage()]
    caplog.set_level(logging.DEBUG, logger="groomwatch.serving")
    _push_chat(client, chat, "quiet", grooming=False, n=1)
    assert [r.levelno for r in caplog.records if "/v1/streams" in r.getMessage()] == [
        logging.DEBUG]
