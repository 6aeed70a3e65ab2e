"""Shared fixtures: a small tfidf-lr detector trained on hand-written chats, apps and clients.

Grooming chats mix neutral grooming-behaviour lines (secrecy, isolation, moving to a private
app) into small talk; benign chats are small talk only. ``SECRET_WORD`` appears in the text of
every generated message so tests can prove message text never reaches logs or unflagged storage.
"""

from __future__ import annotations

import random
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from groomwatch.data.record import Conversation, Message, Participant
from groomwatch.models.base import Detector
from groomwatch.models.registry import create_detector
from groomwatch.serving import auth
from groomwatch.serving.app import create_app
from groomwatch.serving.auth import add_api_key, add_user
from groomwatch.serving.db import Database
from groomwatch.serving.migrations import upgrade
from groomwatch.serving.settings import Settings

SECRET_WORD = "zebracorn"
GROOMING = [
    "dont tell your parents about us", "you are so mature for your age",
    "are you home alone now", "this is our little secret", "delete our chat after reading",
    "lets move to a private app", "nobody understands you like me", "can we meet without anyone",
]
SMALL_TALK = [
    "did you finish the homework", "what game tonight", "football practice at five",
    "that film was great", "my dog ate my sock", "see you at school tomorrow",
    "the bus was late again", "pizza for dinner",
]
PASSWORD = "correct horse battery"


def make_chat(index: int, grooming: bool, n_messages: int = 30, seed: int = 0) -> dict:
    """One record as JSON: ``grooming`` chats say a grooming line in every other message."""
    rng = random.Random(seed * 100_003 + index)
    messages = []
    for i in range(n_messages):
        lines = GROOMING if grooming and i % 2 == 0 else SMALL_TALK
        messages.append({"author_id": "a" if i % 2 == 0 else "b",
                         "text": f"{rng.choice(lines)} {SECRET_WORD}{i}"})
    return {
        "conversation_id": f"{'g' if grooming else 'b'}{seed}-{index}",
        "participants": [{"author_id": "a", "role": "adult"}, {"author_id": "b", "role": "child"}],
        "messages": messages,
        "language": "en",
    }


def _records(n: int, seed: int) -> list[Conversation]:
    convs = []
    for i in range(n):
        data = make_chat(i, grooming=i % 2 == 0, seed=seed)
        convs.append(Conversation(
            conversation_id=data["conversation_id"],
            participants=[Participant(**p) for p in data["participants"]],
            messages=[Message(**m) for m in data["messages"]],
            label=int(i % 2 == 0), language="en",
        ))
    return convs


@pytest.fixture(scope="session")
def records():
    """The builder of typed records, half of them grooming (test modules cannot import conftest)."""
    return _records


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its smallest cost: the same code path, without 0.3 s per login in tests."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(autouse=True)
def audit_key_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test's audit log is keyed, as the server requires (servers started by a test
    inherit the variable); returns the key."""
    key = "test-audit-key-" + "k" * 32
    monkeypatch.setenv("GROOMWATCH_AUDIT_KEY", key)
    monkeypatch.delenv("GROOMWATCH_AUDIT_KEY_FILE", raising=False)
    return key


@pytest.fixture(scope="session")
def detector() -> Detector:
    model = create_detector("tfidf-lr", min_df=1, char_ngrams=(3, 3), max_iter=500)
    return model.fit(_records(60, seed=1), _records(40, seed=2))


@pytest.fixture(scope="session")
def model_dir(detector: Detector, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "tfidf"
    detector.save(path)
    return path


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'review.db'}"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(db_url=db_url, double_review_rate=0.0)


@pytest.fixture
def app(settings: Settings, detector: Detector):
    return create_app(settings, detector)


@pytest.fixture
def api_key(app) -> str:
    return add_api_key(app.state.db, "provider-a")


@pytest.fixture
def client(app, api_key: str) -> Iterator[TestClient]:
    """A TestClient over https (cookies are Secure) with the API key sent on every request."""
    with TestClient(app, base_url="https://testserver",
                    headers={"Authorization": f"Bearer {api_key}"}) as test_client:
        yield test_client


def log_in(app, name: str, role: str = "reviewer", create: bool = True) -> TestClient:
    """A logged-in browser-like client; returns it with ``.csrf`` set to its form token."""
    if create:
        add_user(app.state.db, name, role, PASSWORD)
    browser = TestClient(app, base_url="https://testserver")
    page = browser.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = browser.post("/login", data={"username": name, "password": PASSWORD, "csrf": token},
                          follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/", answer.text
    browser.csrf = csrf_of(browser.get("/").text)
    return browser


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


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


def launch_server(model_dir: Path, db_url: str, log: Path, *extra: str) -> Server:
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
def start_server(launch) -> Callable[..., Server]:
    """``start_server(*serve_options)`` runs a real server on a fresh SQLite file
    (``review.db``); killed after."""
    return lambda *options: launch("review", *options)


@pytest.fixture
def chat():
    """``chat(index, grooming, n_messages=30, seed=0)`` builds one JSON record."""
    return make_chat


@pytest.fixture
def secret_word() -> str:
    return SECRET_WORD


@pytest.fixture
def browser_page():
    """A headless Chromium page (Playwright driving Debian's /usr/bin/chromium; never downloads
    a browser): skips where it is missing."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("browser test needs Chromium at /usr/bin/chromium "
                    "(Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser.new_page(viewport={"width": 1200, "height": 900})
        browser.close()


@pytest.fixture
def login():
    """``login(app, name, role="reviewer")`` creates an account and returns a logged-in client."""
    return log_in


@pytest.fixture
def launch(model_dir: Path, tmp_path: Path) -> Iterator:
    """``launch(name, *serve_options)``: a real server on the SQLite file ``name``.db, with
    its own log; several may share one file. All are killed after the test."""
    started: list[Server] = []

    def start(name: str, *options: str) -> Server:
        server = launch_server(model_dir, f"sqlite:///{tmp_path / name}.db",
                               tmp_path / f"{name}-{len(started)}.log", *options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The URL of a throwaway Redis (``GROOMWATCH_TEST_REDIS_URL``, set by ``.ci/run``),
    emptied before and after the test; skips the test when none is set."""
    import os

    import redis

    url = os.environ.get("GROOMWATCH_TEST_REDIS_URL")
    if not url:
        pytest.skip("GROOMWATCH_TEST_REDIS_URL is not set: run .ci/run, or start "
                    "redis-server --save '' --appendonly no and set it to its URL")
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator:
    """A client of the throwaway Redis (emptied before and after the test)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """For tests that must hold on every backend: a fresh SQLite file, or the test PostgreSQL
    database (``GROOMWATCH_TEST_POSTGRES_URL``, set by ``.ci/run``) emptied; skips the
    PostgreSQL run when none is set."""
    import os

    from sqlalchemy import text

    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'review.db'}"
    url = os.environ.get("GROOMWATCH_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("GROOMWATCH_TEST_POSTGRES_URL is not set: run .ci/run, or `source "
                    ".ci/postgres.sh` as root")
    db = Database(url)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.dispose()
    return url
