"""Serving with several workers, each accepting on a listening socket of its own (SO_REUSEPORT).

uvicorn's --workers shares one listening socket: whichever worker wakes first accepts a whole burst, so
long-lived keep-alive connections (a load balancer's upstream pool, a benchmark's 64) stay where they
fell. Six starts split 64 connections 53/11, 46/18, 46/18, 38/26, 33/31, 32/32; the busier worker's queue
sets the p99. With a socket per worker the kernel spreads connections by a hash of their addresses: six
starts gave 39/25 at worst (docs/scaling.md).

The parent only supervises. Each worker beats once a second from its event loop once it serves:
- a worker that ends before its first beat could not start: at first start that stops the command
  (schema not at head, a bad setting: restarting would not help); later (the database away for a moment)
  its place is retried with a growing pause;
- a worker that ends after serving is replaced at once, and one whose beats stop for HUNG_SECONDS (its
  event loop stuck) is killed and replaced, since the kernel keeps giving its socket a share of new
  connections;
- SIGINT or SIGTERM stops them all.
"""

import contextlib
import ctypes
import logging
import logging.config
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field

from uvicorn.config import LOGGING_CONFIG, STARTUP_FAILURE

log = logging.getLogger("uvicorn.error")
POLL_SECONDS = 0.2  # how soon a dead worker is noticed
HUNG_SECONDS = 30  # a worker's loop may block this long before it is taken for stuck
STOP_SECONDS = 30  # what SIGTERM gives requests in flight before workers are killed
RETRY_SECONDS = (1, 2, 4, 8, 16, 32, 60)
# How `weishi serve` runs uvicorn, with one worker or several: client addresses are not taken from
# X-Forwarded-For (app/ratelimit decides with WEISHI_TRUSTED_PROXIES), and no `server: uvicorn` banner.
UVICORN_OPTIONS = {"proxy_headers": False, "server_header": False}


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
    """Linux spreads connections over a port's SO_REUSEPORT sockets; BSD and macOS give them all to one."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _is_ipv6(host: str) -> bool:
    return ":" in host  # as uvicorn decides it for its own sockets


def _bound_socket(host: str, port: int, *, in_group: bool) -> socket.socket:
    """A TCP socket bound to host:port; in_group joins the port's SO_REUSEPORT group."""
    sock = socket.socket(socket.AF_INET6 if _is_ipv6(host) else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if in_group:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def port_is_free(host: str, port: int) -> bool:
    """Bound outside any SO_REUSEPORT group, the probe fails if anything holds the port: a stale or second
    server would otherwise join ours and silently take a share of the connections."""
    try:
        _bound_socket(host, port, in_group=False).close()
    except OSError:
        return False
    return True


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket of this worker's own in the port's SO_REUSEPORT group; uvicorn calls listen() on it."""
    return _bound_socket(host, port, in_group=True)


def _stop_with_parent() -> None:
    """A worker whose supervisor was killed stops too, instead of serving on as an orphan."""
    parent = multiprocessing.parent_process()
    if parent is not None:

        def watch() -> None:
            multiprocessing.connection.wait([parent.sentinel])
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, daemon=True).start()


def run_worker(serving: Serving, beat: ctypes.c_double) -> None:
    """One worker: its own socket, one uvicorn server, a beat a second once it serves."""
    import uvicorn

    _stop_with_parent()
    try:
        sock = listening_socket(serving.host, serving.port)
    except OSError as exc:
        print(f"cannot listen on {serving.host}:{serving.port}: {exc}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)

    async def notify() -> None:
        beat.value = time.monotonic()

    config = uvicorn.Config(
        serving.app,
        factory=serving.factory,
        host=serving.host,
        port=serving.port,
        log_level=serving.log_level,
        callback_notify=notify,
        timeout_notify=0,
        timeout_graceful_shutdown=STOP_SECONDS - 5,
        **serving.uvicorn_options,
    )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C reaches every worker; uvicorn re-raises it
        uvicorn.Server(config).run(sockets=[sock])


class _Slot:
    """One worker's place: its process, its last beat, and how long to wait before starting it again."""

    def __init__(self, context: multiprocessing.context.SpawnContext, serving: Serving) -> None:
        self.context, self.serving = context, serving
        self.beat = context.Value(ctypes.c_double, 0.0, lock=False)  # shared memory: one writer, one reader
        self.failures = 0
        self.not_before = 0.0
        self.process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> None:
        self.beat.value = 0.0
        self.process = self.context.Process(target=run_worker, args=(self.serving, self.beat), name="weishi-worker")
        self.process.start()

    @property
    def served(self) -> bool:
        return self.beat.value > 0


def serve_workers(serving: Serving, workers: int) -> int:
    """Supervise workers until a signal stops them; returns the exit status for the command."""
    logging.config.dictConfig(LOGGING_CONFIG)  # the parent logs as uvicorn's workers do
    log.setLevel(serving.log_level.upper())
    if not port_is_free(serving.host, serving.port):
        log.error("%s:%s is in use; not starting", serving.host, serving.port)
        return STARTUP_FAILURE
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each: no state forked across
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    slots = [_Slot(context, serving) for _ in range(workers)]
    all_served_once, status = False, 0
    try:
        for slot in slots:
            slot.start()
        while not stopping:
            time.sleep(POLL_SECONDS)
            if not all_served_once and all(slot.served for slot in slots):
                all_served_once = True
                host = f"[{serving.host}]" if _is_ipv6(serving.host) else serving.host
                log.info(
                    "Serving on http://%s:%s with %s workers, a listening socket each (parent %s)",
                    host,
                    serving.port,
                    workers,
                    os.getpid(),
                )
            for slot in slots:
                status = _look_after(slot, all_served_once)
                if status:
                    stopping = True
                    break
    finally:
        _stop_all(slots)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


def _look_after(slot: _Slot, all_served_once: bool) -> int:
    """Restart, retry or kill one worker as its state asks; a non-zero status stops the command."""
    process, now = slot.process, time.monotonic()
    if process is None:
        if now >= slot.not_before:
            slot.start()
        return 0
    if process.is_alive():
        if slot.served and now - slot.beat.value > HUNG_SECONDS:
            log.error("worker %s has not beaten for %s s; killing it", process.pid, HUNG_SECONDS)
            process.kill()
        elif slot.served:
            slot.failures = 0
        return 0
    process.join()
    slot.process = None
    if slot.served:
        log.warning("worker %s exited (%s); starting another", process.pid, process.exitcode)
        slot.start()
        return 0
    if not all_served_once:
        log.error("worker %s could not start (exit %s); stopping", process.pid, process.exitcode)
        return STARTUP_FAILURE
    pause = RETRY_SECONDS[min(slot.failures, len(RETRY_SECONDS) - 1)]
    slot.failures += 1
    slot.not_before = now + pause
    log.error("worker %s could not start (exit %s); trying again in %s s", process.pid, process.exitcode, pause)
    return 0


def _stop_all(slots: list[_Slot]) -> None:
    running = [slot.process for slot in slots if slot.process is not None]
    for process in running:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
    deadline = time.monotonic() + STOP_SECONDS
    for process in running:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
