"""Several real server processes on one Redis: the same warnings as one process.

Needs ``GROOMWATCH_TEST_REDIS_URL`` (``.ci/run`` starts a throwaway ``redis-server``); the
``redis_url`` fixture skips without it.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import psutil
import pytest

from groomwatch.serving.db import Database, Review


def _messages(chat, index: int, grooming: bool) -> list[dict]:
    record = chat(index, grooming=grooming, n_messages=30)
    roles = {p["author_id"]: p["role"] for p in record["participants"]}
    return [{**m, "role": roles[m["author_id"]]} for m in record["messages"]]


def _push(server, cid: str, messages: list[dict]) -> list[dict]:
    """Each message on a new connection, so a multi-worker server spreads them."""
    answers = []
    for message in messages:
        answer = httpx.post(f"{server.url}/v1/streams/{cid}/messages", json=message, timeout=30,
                            headers={"Authorization": f"Bearer {server.api_key}"})
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
    return answers


def _reviews(db_url: str) -> list[tuple[str, int]]:
    db = Database(db_url)
    with db.transaction() as session:
        reviews = [(r.conversation_id, len(r.content["messages"]))
                   for r in session.query(Review)]
    db.dispose()
    return sorted(reviews)


def _same(got: list[dict], expected: list[dict]) -> None:
    assert [(a["warned"], a["messages_kept"]) for a in got] == [
        (a["warned"], a["messages_kept"]) for a in expected]
    assert [a["score"] for a in got] == pytest.approx([a["score"] for a in expected], abs=1e-9)


def _stop(server) -> None:
    """SIGTERM, so a supervisor stops its workers too (a SIGKILL would orphan them)."""
    children = psutil.Process(server.process.pid).children(recursive=True)
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    finally:
        for child in children:
            if child.is_running():
                child.kill()


def test_four_workers_on_redis_warn_like_one_process_even_when_one_is_killed(
        launch, redis_url, chat, client, app):
    chats = {f"c{i}": _messages(chat, i, grooming=i % 2 == 0) for i in range(4)}
    expected = {}  # one in-process server with in-memory windows, as `make serve` runs
    for cid, messages in chats.items():
        expected[cid] = [client.post(f"/v1/streams/{cid}/messages", json=m).json()
                         for m in messages]
    four = launch("four", "--streams", redis_url, "--workers", "4")
    try:
        workers = psutil.Process(four.process.pid).children()
        assert len(workers) >= 4
        idle = {w.pid: sum(w.cpu_times()[:2]) for w in workers}
        # interleave the conversations, as a platform's traffic would
        got: dict[str, list[dict]] = {cid: [] for cid in chats}
        for position in range(30):
            if position == 12:  # SIGKILL one worker mid-stream: the others hold no window
                workers[0].kill()
            for cid, messages in chats.items():
                got[cid] += _push(four, cid, messages[position:position + 1])
        busy = [w for w in workers[1:] if sum(w.cpu_times()[:2]) - idle[w.pid] > 0.05]
        assert len(busy) >= 2, "the appends did not spread over the workers"
    finally:
        _stop(four)
    for cid in chats:
        _same(got[cid], expected[cid])
    assert any(a["warned"] for a in got["c0"])  # the test would be vacuous without a warning
    with app.state.db.transaction() as session:
        one = sorted((r.conversation_id, len(r.content["messages"]))
                     for r in session.query(Review))
    assert _reviews(four.db_url) == one  # one review per warned stream, of the same window
    assert "zebracorn" not in four.log.read_text()  # no stream text in any worker's log


def test_several_workers_need_shared_streams(model_dir, tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", "from groomwatch.cli import entry; entry()", "serve", "--model",
         str(model_dir), "--db", f"sqlite:///{tmp_path / 'r.db'}", "--workers", "2"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "error: --workers 2 needs --streams redis://" in done.stderr
