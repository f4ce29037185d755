"""`weishi serve --workers 2`: each worker listens on a socket of its own; a dead worker is replaced; a
worker that cannot start stops the command instead of being restarted for ever; SIGTERM stops them all."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from app.core.serving import reuseport_supported

pytestmark = pytest.mark.skipif(
    not reuseport_supported() or not Path("/proc/net/tcp").exists(), reason="needs SO_REUSEPORT and /proc (Linux)"
)
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listeners(port: int) -> int:
    """Listening sockets on port (state 0A in /proc/net/tcp): one per worker with SO_REUSEPORT."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A")


def workers_of(parent: int) -> set[int]:
    """The parent's spawned workers (not multiprocessing's resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


def is_worker(pid: int) -> bool:
    """pid is (still) a spawned worker: its command line says so, so a reused pid does not count."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def wait_for(condition, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out; the server said:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def serve(db: Path, port: int, log: Path, workers: int = 2) -> subprocess.Popen:
    """The command in a session of its own, so a failing test can kill it and its workers together."""
    env = {**os.environ, "WEISHI_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "WEISHI_LOG_LEVEL": "WARNING"}
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_all(parent: subprocess.Popen) -> None:
    if parent.poll() is None:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()


def migrate(db: Path, monkeypatch) -> None:
    monkeypatch.setenv("WEISHI_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    get_settings.cache_clear()
    try:
        assert CliRunner().invoke(cli, ["migrate"]).exit_code == 0
    finally:
        get_settings.cache_clear()


def test_two_workers_listen_apart_are_replaced_when_they_die_and_stop_together(tmp_path, monkeypatch):
    db, port = tmp_path / "serve.db", free_port()
    migrate(db, monkeypatch)
    log = tmp_path / "serve.log"
    parent = serve(db, port, log)
    try:
        wait_for(lambda: healthy(port) and listeners(port) == 2 and len(workers_of(parent.pid)) == 2, log)
        assert_no_banner(port)
        first = workers_of(parent.pid)
        os.kill(min(first), signal.SIGKILL)
        wait_for(lambda: len(workers_of(parent.pid) - first) == 1 and listeners(port) == 2 and healthy(port), log)
        assert max(first) in workers_of(parent.pid)  # the other worker served on
        current = workers_of(parent.pid)
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=40) == 0, log.read_text()
        assert not any(is_worker(pid) for pid in current) and listeners(port) == 0
    finally:
        kill_all(parent)


def assert_no_banner(port: int) -> None:
    """uvicorn's `server: uvicorn` header is off, and nosniff and the host check hold on the real server."""
    for path in ("/healthz", "/api/v1/no-such-route"):
        r = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5, trust_env=False)
        assert "server" not in r.headers and r.headers["x-content-type-options"] == "nosniff", r.headers
    foreign = httpx.get(f"http://127.0.0.1:{port}/board/", headers={"host": "evil.example"}, timeout=5, trust_env=False)
    assert foreign.status_code == 400 and "location" not in foreign.headers


def test_one_worker_serves_without_a_server_banner(tmp_path, monkeypatch):
    """`--workers 1` runs uvicorn directly (not app/core/serving.py): the same options."""
    db, port = tmp_path / "serve.db", free_port()
    migrate(db, monkeypatch)
    log = tmp_path / "serve.log"
    parent = serve(db, port, log, workers=1)
    try:
        wait_for(lambda: healthy(port), log)
        assert_no_banner(port)
    finally:
        kill_all(parent)


def test_a_worker_that_cannot_start_stops_the_command(tmp_path):
    log = tmp_path / "serve.log"
    parent = serve(tmp_path / "never-migrated.db", free_port(), log)  # the schema check refuses to serve
    try:
        assert parent.wait(timeout=60) == 3
        assert "weishi migrate" in log.read_text()
    finally:
        kill_all(parent)


def test_a_port_held_by_another_server_is_refused_before_any_worker_starts(tmp_path):
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # one that would share the port
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        log = tmp_path / "serve.log"
        parent = serve(tmp_path / "any.db", holder.getsockname()[1], log)
        try:
            assert parent.wait(timeout=30) == 3
            assert "in use" in log.read_text()
        finally:
            kill_all(parent)
