"""Several server processes on one port, each with its own listening socket (SO_REUSEPORT).

uvicorn's ``--workers`` shares one listening socket between its workers, and whichever worker
wakes first accepts every connection waiting at that moment (asyncio accepts up to 100 at a
time). Keep-alive connections opened together, as a load balancer or a client pool opens them,
then all land on one worker: measured, one of four workers did 90% of the work and four workers
streamed fewer messages a second than one. With one socket per worker bound with
``SO_REUSEPORT``, the kernel spreads new connections over the workers by a hash of their
addresses instead. Platforms without ``SO_REUSEPORT`` fall back to uvicorn's shared socket.

This supervisor starts ``n`` workers, replaces one that dies (a killed worker loses only its
requests in flight: the stream windows live in Redis), and stops them all, gracefully, on
SIGTERM or SIGINT.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading

log = logging.getLogger("groomwatch.serving")

#: uvicorn's exit code for a worker that failed before serving (same failure on every restart)
STARTUP_FAILURE = 3
APP = "groomwatch.serving.cli:worker_app"


def supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listener(host: str, port: int, listen: bool = True) -> socket.socket:
    """A TCP socket bound to (host, port) that other workers' sockets may share."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    if listen:
        sock.listen(2048)
    return sock


def serve_one(host: str, port: int) -> None:
    """One worker process: its own socket on the shared port, uvicorn on it."""
    import uvicorn

    config = uvicorn.Config(APP, factory=True, log_level="warning", access_log=False)
    try:
        config.load()  # the app and model first: a listening worker must be able to answer
        sock = listener(host, port)
    except Exception:  # the same on every restart (no model, no Redis): stop, do not loop
        log.exception("a worker failed to start")
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(config).run(sockets=[sock])


def run(n: int, host: str, port: int) -> int:
    """Run ``n`` workers until SIGTERM/SIGINT; 0, or 1 if a worker could not start."""
    # bound, never listening: fails here if the port is taken, and takes no connections;
    # port 0 becomes one free port for all the workers
    with listener(host, port, listen=False) as probe:
        port = probe.getsockname()[1]
    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def start() -> multiprocessing.process.BaseProcess:
        process = spawn.Process(target=serve_one, args=(host, port))
        process.start()
        return process

    processes = [start() for _ in range(n)]
    status = 0
    while not stop.wait(0.5):
        for i, process in enumerate(processes):
            if process.exitcode is None:
                continue
            if process.exitcode == STARTUP_FAILURE:
                log.error("a worker failed to start; stopping the others")
                status = 1
                stop.set()
                break
            log.warning("worker %s ended (exit code %s); starting another", process.pid,
                        process.exitcode)
            processes[i] = start()
    for process in processes:
        process.terminate()  # SIGTERM: uvicorn finishes the requests in flight, flushes counts
    for process in processes:
        process.join(30)
        if process.exitcode is None:
            process.kill()
            process.join()
    return status
