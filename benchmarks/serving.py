"""Benchmark: the review service under load on loopback, with tfidf-lr (issue 8 targets).

Starts a real ``groomwatch serve`` (uvicorn, SQLite) and drives it with a lean asyncio
keep-alive HTTP client, so the load generator spends little of the two cores:
- batch scoring: one thirty-message conversation per request (10% grooming, as generated),
  conversations scored per second and p50/p99 latency (targets >= 300/s, p99 < 100 ms);
- streaming: messages per second appended to many concurrent streams (target >= 1,000/s);
- stream memory: bytes the in-process store holds per open stream with a full window
  (target <= 16 KB), and what Redis holds per stream;
- the CPU of one append over the CPU of scoring the same window afresh, per store (target
  <= 2), Redis's own CPU included, with the window scorer's state stored (summed n-gram
  counts: what serves) and with the messages only (every append rescores the window);
- scale-out, when ``redis-server`` is installed: streaming through one in-process worker and
  1, 2 and 4 workers sharing a throwaway non-persisting Redis, all driven alike in one run,
  the ratios, and the CPU the workers, Redis and the load generator (a separate process from
  the servers) each used. They all share the machine's cores, so the ratios are lower bounds.
Bounded by request count and a time limit. The detector is trained here on synthetic data
unless ``--model DIR`` names a saved one.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import redis
from harness import Row, emit, quick

from groomwatch.data.record import Conversation, Message, Participant, conversation_to_dict
from groomwatch.data.synth.config import SynthConfig
from groomwatch.data.synth.generate import generate
from groomwatch.models.base import Detector, RescoringWindowScorer
from groomwatch.models.early_warning import resume_window
from groomwatch.models.registry import create_detector, load_detector
from groomwatch.serving.auth import add_api_key
from groomwatch.serving.counters import CounterBuffer
from groomwatch.serving.db import Database
from groomwatch.serving.migrations import upgrade
from groomwatch.serving.settings import Settings
from groomwatch.serving.stream_store import MemoryStreamStore
from groomwatch.serving.streams import Streams

MESSAGES = 30
BATCH = 10
WORKERS = (1, 2, 4)


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    server_cpu_seconds: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def thirty_message_conversations(n: int, seed: int) -> list[Conversation]:
    config = SynthConfig(n=n, languages=["en"], seed=seed, length_median=45.0,
                         min_messages=MESSAGES)
    convs = generate(config)
    for conv in convs:
        conv.messages = conv.messages[:MESSAGES]
    return convs


def train_model(directory: Path) -> Path:
    train = generate(SynthConfig(n=1500, languages=["en"], seed=11))
    validation = generate(SynthConfig(n=400, languages=["en"], seed=12))
    create_detector("tfidf-lr").fit(train, validation).save(directory)
    return directory


def _request(path: str, body: bytes, key: str, method: str = "POST") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _worker(port: int, requests: list[bytes], load: Load, deadline: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for request in requests:
            if time.perf_counter() > deadline:
                return
            start = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            status = int(status_line.split()[1])
            if status < 300:
                load.latencies.append(time.perf_counter() - start)
            else:
                load.errors[status] = load.errors.get(status, 0) + 1
    finally:
        writer.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a server and its worker processes (Linux /proc)."""
    return sum(cpu_seconds_of(process) for process in [pid, *_children(pid)])


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU time so far of one process (0 if it has ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def drive(pid: int, port: int, per_worker: list[list[bytes]], seconds: float) -> Load:
    """Send each worker's requests back to back on one keep-alive connection; also record
    the server's CPU time, which shows its cost per request even on a busy machine."""
    load = Load()
    cpu_before = cpu_seconds(pid)

    async def run() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_worker(port, reqs, load, deadline) for reqs in per_worker))

    start = time.perf_counter()
    asyncio.run(run())
    load.seconds = time.perf_counter() - start
    load.server_cpu_seconds = cpu_seconds(pid) - cpu_before
    return load


def start_server(model: Path, workdir: Path, *options: str,
                 name: str = "bench") -> tuple[subprocess.Popen, int, str]:
    """``groomwatch serve`` with ``options`` on a fresh SQLite file; (process, port, API key)."""
    db_url = f"sqlite:///{workdir / name}.db"
    # the audit log is keyed: a throwaway key for the throwaway database (the server inherits it)
    os.environ.setdefault("GROOMWATCH_AUDIT_KEY", os.urandom(32).hex())
    db = Database(db_url)
    upgrade(db)
    key = add_api_key(db, "bench")
    db.dispose()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-c", "from groomwatch.cli import entry; entry()", "serve", "--model",
         str(model), "--db", db_url, "--port", str(port), *options],
        stdout=subprocess.DEVNULL, stderr=(workdir / f"{name}.log").open("w"),
    )
    for _ in range(900):  # several workers on a busy machine take a while
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server, port, key
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("server did not start")


def wait_for_workers(pid: int, port: int, workers: int) -> None:
    """Until ``workers`` processes listen on ``port`` (the server answers as soon as one does:
    connections opened before the others listen would all stay with that one)."""
    for _ in range(900):
        server = psutil.Process(pid)  # one worker is the server process itself
        listening = sum(1 for process in [server, *server.children()]
                        if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port
                               for c in process.net_connections("tcp")))
        if listening >= max(1, workers):
            return
        time.sleep(0.2)
    raise SystemExit(f"{workers} workers did not start")


def stream_requests(convs: list[Conversation], key: str, n: int) -> list[bytes]:
    """``n`` appends spread over 64 streams, each stream's messages in order."""
    requests = []
    for i in range(n):
        message = convs[i % 64].messages[(i // 64) % MESSAGES]
        body = json.dumps({"author_id": message.author_id, "text": message.text})
        requests.append(_request(f"/v1/streams/bench-{i % 64}/messages", body.encode(), key))
    return requests


def memory_per_stream(detector: Detector, convs: list[Conversation], streams: int = 400) -> float:
    """Bytes the in-process store holds per open stream with a full window (tracemalloc),
    the window scorer's state included."""
    settings = Settings()
    store = MemoryStreamStore(settings)
    messages = [m for c in convs for m in c.messages]
    last = [[messages[(s * 7 + j) % len(messages)]
             for j in range(10, settings.stream_window + 10)] for s in range(streams)]
    scorer_states = [resume_window(detector, settings.stream_window, window, None).state()
                     for window in last]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for s in range(streams):
        for j in range(settings.stream_window + 10):
            message = messages[(s * 7 + j) % len(messages)]
            # fresh strings, as a request body gives them, not shared with the corpus
            fresh = Message(author_id=f"{message.author_id}", text=f" {message.text}"[1:])
            with store.open(("bench", f"s{s}")) as state:
                state.append(fresh, "unknown", settings.stream_window)
                state.record(0.5, settings.stream_history)
                state.scorer = bytes(bytearray(scorer_states[s]))  # a fresh copy each time
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held / streams


def redis_script_calls(url: str) -> int:
    """Lua script calls Redis has answered so far (rate limits, stream reads and writes)."""
    client = redis.Redis.from_url(url)
    stats = client.info("commandstats")
    client.close()
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))


def redis_cpu_seconds(url: str) -> float:
    """The Redis server's own CPU so far (INFO, microsecond resolution: /proc counts in 10 ms
    ticks, too coarse for a few hundred appends)."""
    client = redis.Redis.from_url(url)
    info = client.info("cpu")
    client.close()
    return info["used_cpu_user"] + info["used_cpu_sys"]


def append_cost(model: Path, convs: list[Conversation], workdir: Path,
                redis_url: str | None) -> dict[str, float]:
    """CPU seconds per append (store, scoring, warning rule) over the CPU seconds to score the
    same windows afresh, per store: early warning's target of at most 2 windows a message.

    The reference scores the very windows the appends produced (not one window again and again,
    which stays in the CPU cache), and the two are timed in alternating rounds, so a change in
    the machine's load hits both; the figure is the median round. With Redis the Redis server's
    own CPU is added (the wait for its answers is not CPU: it shows in latency and is printed).
    "Redis, 2 workers alternating" sends each stream's messages to two stores in turn, so
    every append finds its worker's copy stale: the worst case of the one-round-trip path."""
    detector = load_detector(model)
    window = Settings().stream_window
    messages = [m for c in convs for m in c.messages]
    n, rounds = (300, 5) if quick() else (1000, 7)
    db = Database(f"sqlite:///{workdir / 'cost.db'}")
    upgrade(db)
    stores = [("in-process", "", 1)]
    if redis_url:
        stores += [("Redis", redis_url, 1), ("Redis, 2 workers alternating", redis_url, 2)]
    # the choice: store the summed counts (the scorer's state) or only the messages
    # (every append rescores the window); both measured alike, the first is what serves
    stores += [(f"{name}, messages only", url, workers) for name, url, workers in stores]
    ratios = {}
    for name, url, workers in stores:
        scorer = messages_only(detector) if name.endswith("messages only") else detector
        streams = [Streams(scorer, db, Settings(streams_url=url), CounterBuffer(db))
                   for _ in range(workers)]
        mirror = [deque(maxlen=window) for _ in range(16)]  # what each window holds

        def push(i: int, streams: list[Streams] = streams) -> None:
            # stream i % 16; its consecutive messages go to the workers in turn
            streams[(i // 16) % len(streams)].push("bench", f"cost-{i % 16}",
                                                   messages[i % len(messages)], "unknown")

        for i in range(16 * window):  # every window full before timing
            push(i)
            mirror[i % 16].append(messages[i % len(messages)])
        measured = []
        for r in range(rounds):
            chunk = range(16 * window + r * n, 16 * window + (r + 1) * n)
            redis_before = redis_cpu_seconds(url) if url else 0.0
            start, wall = time.process_time(), time.perf_counter()
            for i in chunk:
                push(i)
            cpu = time.process_time() - start
            wall = time.perf_counter() - wall
            cpu += redis_cpu_seconds(url) - redis_before if url else 0.0
            views = []
            for i in chunk:
                mirror[i % 16].append(messages[i % len(messages)])
                views.append(Conversation(conversation_id="w", messages=list(mirror[i % 16]),
                                          participants=[Participant(a) for a in dict.fromkeys(
                                              m.author_id for m in mirror[i % 16])]))
            start = time.process_time()
            for view in views:
                detector.predict_proba([view])
            fresh = time.process_time() - start
            measured.append((cpu / fresh, cpu / n, wall / n, fresh / n))
        ratio, cpu, wall, fresh = sorted(measured)[len(measured) // 2]
        ratios[name] = ratio
        print(f"append, {name} store: {cpu * 1e6:.0f} us CPU, {wall * 1e6:.0f} us wall; the "
              f"same window scored afresh: {fresh * 1e6:.0f} us CPU (median of {rounds} "
              f"alternating rounds; load average {os.getloadavg()[0]:.1f})", file=sys.stderr)
        for i in range(16):
            streams[0].drop("bench", f"cost-{i}")
        for one in streams:
            one.close()
    db.dispose()
    return ratios


def messages_only(detector: Detector) -> Detector:
    """``detector`` without its resumable window scorer: a stream keeps only its messages and
    every append rescores the window (how streams served before the counts were stored)."""
    rescoring = copy.copy(detector)
    rescoring.window_scorer = lambda window=50: RescoringWindowScorer(rescoring, window)
    return rescoring


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str] | None:
    """A throwaway Redis on loopback that never writes to disk, if redis-server is installed."""
    if shutil.which("redis-server") is None:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            return process, url
        except redis.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("redis-server did not start")


def redis_bytes_per_stream(url: str) -> float:
    """Redis's own count (MEMORY USAGE) of the bytes one stream's state key takes."""
    client = redis.Redis.from_url(url)
    sizes = [client.memory_usage(k) for k in client.scan_iter(match="groomwatch:stream:*")]
    client.close()
    return statistics.fmean(sizes) if sizes else float("nan")


@dataclass
class ScaleRun:
    """One scale-out row: its load, and the CPU seconds each component used meanwhile."""

    load: Load
    server_cpu: float  # the workers (and their supervisor)
    redis_cpu: float
    driver_cpu: float
    busy_workers: int  # workers that did at least a tenth of an even share
    load_average: float
    #: Lua calls beyond one rate-limit check and one write per message: appends that held
    #: their stream (a worker's copy was stale or absent) and waits for a held lock
    extra_scripts: int = 0


def scale_out(model: Path, workdir: Path, convs: list[Conversation], url: str, n: int,
              limit: float, concurrency: int) -> tuple[dict[str, ScaleRun], float]:
    """Streaming through one in-process worker, then 1, 2 and 4 workers sharing ``url``, all
    driven alike (``concurrency`` keep-alive connections from this process, each stream on one
    connection); also Redis bytes per stream."""
    runs, per_stream = {}, float("nan")
    for workers in (0, *WORKERS):
        redis.Redis.from_url(url).flushdb()
        options = ("--streams", url, "--workers", str(workers)) if workers else ()
        name = f"Redis, {workers} worker(s)" if workers else "in-process, 1 worker"
        server, port, key = start_server(model, workdir, *options, name=f"workers-{workers}")
        try:
            wait_for_workers(server.pid, port, workers)
            requests = stream_requests(convs, key, n)
            # warm-up on as many connections: every worker takes a share
            drive(server.pid, port, [requests[:64][w::concurrency] for w in range(concurrency)],
                  limit)
            processes = [server.pid, *_children(server.pid)]
            before = [cpu_seconds_of(p) for p in processes]
            redis_before, driver_before = redis_cpu_seconds(url), time.process_time()
            scripts_before = redis_script_calls(url)
            load = drive(server.pid, port, [requests[64:][w::concurrency]
                                            for w in range(concurrency)], limit)
            used = [cpu_seconds_of(p) - b for p, b in zip(processes, before, strict=True)]
            runs[name] = ScaleRun(
                load, sum(used), redis_cpu_seconds(url) - redis_before,
                time.process_time() - driver_before,
                sum(1 for u in used if u > 0.1 * sum(used) / max(1, workers)),
                os.getloadavg()[0],
                redis_script_calls(url) - scripts_before - 2 * load.ok if workers else 0)
            if workers:
                per_stream = redis_bytes_per_stream(url)
        finally:
            server.terminate()
            server.wait()
    return runs, per_stream


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="saved tfidf-lr (default: train one)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--scale-concurrency", type=int, default=32,
                        help="connections for the scale-out runs (each append waits for Redis, "
                             "so one connection per worker would leave it idle)")
    args = parser.parse_args()
    n_requests, n_stream_messages, limit = (1500, 4000, 20.0) if quick() else (6000, 20000, 60.0)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        model = args.model or train_model(workdir / "model")
        convs = thirty_message_conversations(300, seed=21)
        server, port, key = start_server(model, workdir)
        try:
            bodies = [json.dumps(conversation_to_dict(c)).encode() for c in convs]
            score = [_request("/v1/conversations/score", bodies[i % len(bodies)], key)
                     for i in range(n_requests)]
            drive(server.pid, port, [score[:50]], limit)  # warm-up
            workers = args.concurrency
            scoring = drive(server.pid, port, [score[w::workers] for w in range(workers)], limit)
            batch_bodies = [
                json.dumps({"conversations": [conversation_to_dict(c)
                                              for c in convs[i:i + BATCH]]}).encode()
                for i in range(0, len(convs), BATCH)
            ]
            batches = [_request("/v1/conversations/score", batch_bodies[i % len(batch_bodies)],
                                key) for i in range(n_requests // BATCH)]
            batched = drive(server.pid, port, [batches[w::workers] for w in range(workers)],
                            limit)
            streams = stream_requests(convs, key, n_stream_messages)
            streaming = drive(server.pid, port, [streams[w::workers] for w in range(workers)],
                              limit)
        finally:
            server.terminate()
            server.wait()
        redis_server = start_redis(workdir)
        try:
            costs = append_cost(model, convs, workdir, redis_server and redis_server[1])
            memory = memory_per_stream(load_detector(model), convs)
            if redis_server:
                url = redis_server[1]
                scaled, redis_per_stream = scale_out(model, workdir, convs, url,
                                                     n_stream_messages, limit,
                                                     args.scale_concurrency)
        finally:
            if redis_server:
                redis_server[0].terminate()
                redis_server[0].wait()
    loads = [("scoring", scoring), ("batches", batched), ("streaming", streaming)]
    if redis_server:
        loads += [(f"streaming, {name}", run.load) for name, run in scaled.items()]
        for name, run in scaled.items():
            print(f"scale-out, {name}: {run.load.ok / run.load.seconds:.0f} msg/s; CPU "
                  f"seconds: server {run.server_cpu:.2f} ({run.busy_workers} busy worker(s)), "
                  f"Redis {run.redis_cpu:.2f}, load generator {run.driver_cpu:.2f}, in "
                  f"{run.load.seconds:.1f} s on {os.cpu_count()} cores; load average "
                  f"{run.load_average:.1f}; held appends and lock waits {run.extra_scripts}",
                  file=sys.stderr)
    for name, load in loads:
        spread = "/".join(f"{load.percentile(p) * 1000:.1f}" for p in (0.5, 0.9, 0.99, 1))
        print(f"{name}: {load.ok} ok in {load.seconds:.1f}s, errors {load.errors}, "
              f"p50/p90/p99/max {spread} ms, mean "
              f"{statistics.fmean(load.latencies) * 1000:.1f} ms; server CPU "
              f"{load.server_cpu_seconds / load.ok * 1000:.2f} ms per request", file=sys.stderr)
    rows = [
        Row("serving: scored 30-message conversations", scoring.ok / scoring.seconds, "conv/s",
            ">= 300 conv/s"),
        Row("serving: scoring p99 latency", scoring.percentile(0.99) * 1000, "ms", "< 100 ms"),
        Row(f"serving: scored conversations in batches of {BATCH}",
            batched.ok * BATCH / batched.seconds, "conv/s"),
        Row("serving: streaming messages", streaming.ok / streaming.seconds, "msg/s",
            ">= 1000 msg/s"),
        Row("serving: streaming p99 latency", streaming.percentile(0.99) * 1000, "ms"),
        Row("serving: server CPU per scored conversation",
            scoring.server_cpu_seconds / scoring.ok * 1000, "ms"),
        Row("serving: server CPU per streamed message",
            streaming.server_cpu_seconds / streaming.ok * 1000, "ms"),
        Row("serving: memory per open stream (full window, in-process)",
            memory / 1024, "KB", "<= 16 KB"),
    ]
    rows += [Row(f"serving: CPU of one append / scoring one window ({store} store)", ratio,
                 "x", "<= 2") for store, ratio in costs.items()]
    if redis_server:
        rate = {name: run.load.ok / run.load.seconds for name, run in scaled.items()}
        rows += [Row(f"serving: streaming messages, {name}", figure, "msg/s")
                 for name, figure in rate.items()]
        rows += [Row(f"serving: streaming scale-up, {n} workers / 1 (Redis, one run)",
                     rate[f"Redis, {n} worker(s)"] / rate["Redis, 1 worker(s)"], "x")
                 for n in WORKERS[1:]]
        rows.append(Row("serving: streaming, Redis 1 worker / in-process 1 worker (one run)",
                        rate["Redis, 1 worker(s)"] / rate["in-process, 1 worker"], "x"))
        rows += [Row(f"serving: CPU per streamed message, {name} (server + Redis + load "
                     "generator)", (run.server_cpu + run.redis_cpu + run.driver_cpu)
                     / run.load.ok * 1000, "ms") for name, run in scaled.items()]
        rows.append(Row("serving: Redis memory per open stream (MEMORY USAGE)",
                        redis_per_stream / 1024, "KB"))
    emit(rows)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
