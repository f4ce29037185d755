"""Serving with several workers, each accepting on a listening socket of its own (SO_REUSEPORT).

uvicorn's --workers shares one listening socket: whichever worker wakes first accepts a whole burst, so
long-lived keep-alive connections (a load balancer's upstream pool, a benchmark's 64) stay where they
fell. Six starts split 64 connections 53/11, 46/18, 46/18, 38/26, 33/31, 32/32; the busier worker's queue
sets the p99. With a socket per worker the kernel spreads connections by a hash of their addresses: six
starts gave 39/25 at worst (docs/scaling.md).

The parent only supervises: it starts the workers, starts another in place of one that dies, gives up if
a worker fails at start (schema not at head, port taken: restarting would not help) and stops them all on
SIGINT or SIGTERM.
"""

import logging
import multiprocessing
import signal
import socket
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger("weishi.serving")
STARTUP_FAILURE = 3  # uvicorn's exit status for a server that did not start
POLL_SECONDS = 0.2
STOP_SECONDS = 30


@dataclass(frozen=True)
class Serving:
    """What each worker serves and where."""

    app: str  # import string, "module:attribute"
    host: str
    port: int
    factory: bool = False
    log_level: str = "info"
    uvicorn_options: dict = field(default_factory=dict)


def reuseport_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket of this worker's own in the port's SO_REUSEPORT group; uvicorn calls listen() on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def run_worker(serving: Serving) -> None:
    """One worker: its own socket, one uvicorn server; exits STARTUP_FAILURE if it could not start."""
    import uvicorn

    try:
        sock = listening_socket(serving.host, serving.port)
    except OSError as exc:
        print(f"cannot listen on {serving.host}:{serving.port}: {exc}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)
    config = uvicorn.Config(serving.app, factory=serving.factory, host=serving.host, port=serving.port,
                            log_level=serving.log_level, **serving.uvicorn_options)
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def serve_workers(serving: Serving, workers: int) -> int:
    """Supervise workers until a signal stops them; returns the exit status for the command."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each: no state forked across

    def start() -> multiprocessing.Process:
        process = context.Process(target=run_worker, args=(serving,), name="weishi-worker")
        process.start()
        return process

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    status = 0
    try:
        while not stopping:
            time.sleep(POLL_SECONDS)
            for index, process in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error("worker %s could not start; stopping", process.pid)
                    stopping, status = True, STARTUP_FAILURE
                    break
                log.warning("worker %s exited (%s); starting another", process.pid, process.exitcode)
                processes[index] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
