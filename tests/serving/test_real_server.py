"""Against a real uvicorn subprocess: no acknowledged flag lost on a kill, no double claims."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from groomwatch.serving.auth import add_api_key, add_user
from groomwatch.serving.db import Database, Review
from groomwatch.serving.migrations import upgrade


@dataclass
class Server:
    url: str
    db_url: str
    api_key: str
    process: subprocess.Popen
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model_dir: Path, db_url: str, log: Path, *extra: str) -> Server:
    """Prepare the database, then run ``groomwatch serve`` and wait until it answers."""
    db = Database(db_url)
    upgrade(db)
    key = add_api_key(db, "provider")
    db.dispose()
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from groomwatch.cli import entry; entry()", "serve",
         "--model", str(model_dir), "--db", db_url, "--port", str(port), *extra],
        stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return Server(url, db_url, key, process, log)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start within 60 s")


@pytest.fixture
def server(model_dir: Path, tmp_path: Path) -> Iterator[Server]:
    running = start_server(model_dir, f"sqlite:///{tmp_path / 'review.db'}",
                           tmp_path / "server.log", "--insecure-cookies",
                           "--double-review-rate", "0")
    yield running
    running.process.kill()
    running.process.wait()


def test_killing_the_server_mid_batch_loses_no_acknowledged_flag(server, chat, secret_word):
    acknowledged: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def send(worker: int) -> None:
        with httpx.Client(base_url=server.url, timeout=10,
                          headers={"Authorization": f"Bearer {server.api_key}"}) as http:
            for batch in range(1000):
                if stop.is_set():
                    return
                body = {"conversations": [chat(i, True, seed=worker * 1000 + batch)
                                          for i in range(10)]}
                try:
                    answer = http.post("/v1/conversations/score", json=body)
                except httpx.TransportError:
                    return  # the server died with this request in flight: not acknowledged
                if answer.status_code == 200:
                    with lock:
                        acknowledged.extend(r["review_id"] for r in answer.json()["results"])

    workers = [threading.Thread(target=send, args=(w,)) for w in range(4)]
    for worker in workers:
        worker.start()
    while len(acknowledged) < 200:
        time.sleep(0.01)
    server.process.kill()  # SIGKILL: no shutdown hooks, requests in flight
    server.process.wait()
    stop.set()
    for worker in workers:
        worker.join()
    db = Database(server.db_url)
    with db.transaction() as session:
        stored = {r.id: r for r in session.query(Review)}
    missing = set(acknowledged) - set(stored)
    assert not missing, f"{len(missing)} acknowledged flags lost"
    assert all(stored[i].content and len(stored[i].content["messages"]) == 30
               for i in acknowledged)
    assert secret_word not in server.log.read_text()  # the server log never holds message text


def _log_in(url: str, name: str, password: str) -> tuple[httpx.Client, str]:
    http = httpx.Client(base_url=url, timeout=30, follow_redirects=True)
    token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text).group(1)
    answer = http.post("/login", data={"username": name, "password": password, "csrf": token})
    assert answer.status_code == 200 and "Review queue" in answer.text, answer.text[:300]
    return http, re.search(r'name="csrf" value="([^"]+)"', answer.text).group(1)


def test_ten_reviewers_claiming_at_once_never_get_the_same_item(server, chat):
    with httpx.Client(base_url=server.url, timeout=30,
                      headers={"Authorization": f"Bearer {server.api_key}"}) as http:
        for batch in range(4):
            body = {"conversations": [chat(i, True, seed=batch) for i in range(10)]}
            assert http.post("/v1/conversations/score", json=body).status_code == 200
    db = Database(server.db_url)
    for n in range(10):
        add_user(db, f"reviewer{n}", "reviewer", "pw-for-tests")
    claims: dict[int, list[int]] = {n: [] for n in range(10)}
    start = threading.Barrier(10)

    def work(n: int) -> None:
        http, csrf = _log_in(server.url, f"reviewer{n}", "pw-for-tests")
        start.wait()
        while True:
            answer = http.post("/queue/next", data={"csrf": csrf}, follow_redirects=False)
            location = answer.headers["location"]
            if not location.startswith("/review/"):
                return
            review_id = int(location.rsplit("/", 1)[1])
            claims[n].append(review_id)
            decided = http.post(f"/review/{review_id}/decide", follow_redirects=False, data={
                "csrf": csrf, "outcome": "dismiss", "reason_dismiss": "benign"})
            assert decided.status_code == 303, decided.text

    with ThreadPoolExecutor(10) as pool:
        for done in [pool.submit(work, n) for n in range(10)]:
            done.result()  # re-raises any failure inside a reviewer's thread
    every_claim = [i for ids in claims.values() for i in ids]
    assert len(every_claim) == 40 and len(set(every_claim)) == 40
    assert sum(1 for ids in claims.values() if ids) >= 2  # the claims really raced
