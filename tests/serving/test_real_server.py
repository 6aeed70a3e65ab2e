"""Against a real uvicorn subprocess: no acknowledged flag lost on a kill, no double claims."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from groomwatch.serving.auth import add_user
from groomwatch.serving.db import Database, Review


@pytest.fixture
def server(start_server):
    return start_server("--insecure-cookies", "--double-review-rate", "0")


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
