"""Benchmark: the review service under load on loopback, with tfidf-lr (issue 8 targets).

Starts a real ``groomwatch serve`` (uvicorn, SQLite) and drives it with a lean asyncio
keep-alive HTTP client, so the load generator spends little of the two cores:
- batch scoring: one thirty-message conversation per request (10% grooming, as generated),
  conversations scored per second and p50/p99 latency (targets >= 300/s, p99 < 100 ms);
- streaming: messages per second appended to many concurrent streams (target >= 1,000/s).
Bounded by request count and a time limit. The detector is trained here on synthetic data
unless ``--model DIR`` names a saved one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from harness import Row, emit, quick

from groomwatch.data.record import Conversation, conversation_to_dict
from groomwatch.data.synth.config import SynthConfig
from groomwatch.data.synth.generate import generate
from groomwatch.models.registry import create_detector
from groomwatch.serving.auth import add_api_key
from groomwatch.serving.db import Database
from groomwatch.serving.migrations import upgrade

MESSAGES = 30
BATCH = 10


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
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def start_server(model: Path, workdir: Path) -> tuple[subprocess.Popen, int, str]:
    db_url = f"sqlite:///{workdir / 'bench.db'}"
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
         str(model), "--db", db_url, "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=(workdir / "server.log").open("w"),
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server, port, key
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="saved tfidf-lr (default: train one)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    n_requests, n_stream_messages, limit = (1500, 4000, 20.0) if quick() else (6000, 20000, 60.0)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        model = args.model or train_model(workdir / "model")
        server, port, key = start_server(model, workdir)
        try:
            convs = thirty_message_conversations(300, seed=21)
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
            streams = []
            for i in range(n_stream_messages):
                conv = convs[i % 64]
                message = conv.messages[(i // 64) % MESSAGES]
                body = json.dumps({"author_id": message.author_id, "text": message.text})
                streams.append(_request(f"/v1/streams/bench-{i % 64}/messages", body.encode(),
                                        key))
            streaming = drive(server.pid, port, [streams[w::workers] for w in range(workers)],
                              limit)
        finally:
            server.terminate()
            server.wait()
    for name, load in (("scoring", scoring), ("batches", batched), ("streaming", streaming)):
        spread = "/".join(f"{load.percentile(p) * 1000:.1f}" for p in (0.5, 0.9, 0.99, 1))
        print(f"{name}: {load.ok} ok in {load.seconds:.1f}s, errors {load.errors}, "
              f"p50/p90/p99/max {spread} ms, mean "
              f"{statistics.fmean(load.latencies) * 1000:.1f} ms; server CPU "
              f"{load.server_cpu_seconds / load.ok * 1000:.2f} ms per request", file=sys.stderr)
    emit([
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
    ])


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
