"""Several real server processes on one Redis: the same warnings as one process.

Needs ``GROOMWATCH_TEST_REDIS_URL`` (``.ci/run`` starts a throwaway ``redis-server``); the
``redis_url`` fixture skips without it.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

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
    """The same answers to the bit: every worker resumes the window scorer's stored state."""
    assert [(a["warned"], a["messages_kept"], a["score"]) for a in got] == [
        (a["warned"], a["messages_kept"], a["score"]) for a in expected]


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
        workers = _workers(four, 4)
        idle = {w.pid: sum(w.cpu_times()[:2]) for w in workers}
        # interleave the conversations, as a platform's traffic would
        got: dict[str, list[dict]] = {cid: [] for cid in chats}
        for position in range(30):
            if position == 12:  # SIGKILL one worker mid-stream: the others hold no window
                workers[0].kill()
                # gone, with its socket: connections its socket had queued but not yet
                # accepted are reset, as a proxy sees when a worker dies (it retries)
                workers[0].wait(30)
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


def _established(process: psutil.Process, port: int) -> int:
    return sum(1 for c in process.net_connections("tcp")
               if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port)


def _workers(server, n: int, other_than: int | None = None) -> list[psutil.Process]:
    """The server's ``n`` worker processes, once all listen on its port (its children that
    do: not, say, multiprocessing's resource tracker), none of them ``other_than``."""
    port = int(server.url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        workers = [child for child in psutil.Process(server.process.pid).children()
                   if child.pid != other_than and any(
                       c.status == psutil.CONN_LISTEN and c.laddr.port == port
                       for c in child.net_connections("tcp"))]
        if len(workers) == n:
            return workers
        time.sleep(0.5)
    pytest.fail(f"{n} workers did not listen within 90 s")


def test_keep_alive_connections_opened_together_spread_and_a_dead_worker_is_replaced(
        launch, redis_url):
    """One socket shared by the workers gave every connection of a burst to one worker (four
    workers streamed slower than one); each worker's own SO_REUSEPORT socket spreads them."""
    two = launch("two", "--streams", redis_url, "--workers", "2")
    port = int(two.url.rsplit(":", 1)[1])
    try:
        workers = _workers(two, 2)
        assert len(workers) == 2
        connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
        for connection in connections:  # answered: each worker has accepted its share
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        for connection in connections:
            assert connection.recv(1024).startswith(b"HTTP/1.1 200")
        held = [_established(w, port) for w in workers]
        assert sum(held) == 16 and min(held) >= 1, held  # all 16 on one: p = 3e-5
        for connection in connections:
            connection.close()
        workers[0].kill()
        _workers(two, 2, other_than=workers[0].pid)  # a new worker took its place
        assert httpx.get(f"{two.url}/health", timeout=30).status_code == 200
    finally:
        _stop(two)


def test_workers_that_cannot_start_stop_the_server_with_an_error(redis_url, tmp_path):
    """Not a loop of replacements that fail the same way."""
    done = subprocess.run(
        [sys.executable, "-c", "from groomwatch.cli import entry; entry()", "serve", "--model",
         str(tmp_path / "no-model"), "--db", f"sqlite:///{tmp_path / 'r.db'}", "--workers", "2",
         "--streams", redis_url, "--port", "0"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "error: a worker failed to start" in done.stderr


def test_several_workers_need_shared_streams(model_dir, tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", "from groomwatch.cli import entry; entry()", "serve", "--model",
         str(model_dir), "--db", f"sqlite:///{tmp_path / 'r.db'}", "--workers", "2"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert "error: --workers 2 needs --streams redis://" in done.stderr
