"""Debian's PgBouncer in transaction mode in front of a PostgreSQL, started and stopped by the tests and the load
run (docs/scaling.md). It forwards any database name to the same server, with the URL's user and password."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

BINARY = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class PgBouncer:
    """One pgbouncer process on 127.0.0.1:`port` in front of `upstream` (a SQLAlchemy URL of the server)."""

    def __init__(
        self,
        upstream: str,
        pool_size: int = 10,
        max_clients: int = 2000,
        port: int | None = None,
        round_robin: bool = False,
        query_wait_timeout: int = 120,
    ):
        self.upstream = make_url(upstream)
        self.port = port or free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="weishi-pgbouncer-"))
        self.process: subprocess.Popen | None = None
        user, password = self.upstream.username or "postgres", self.upstream.password or ""
        server = f"host={self.upstream.host or '127.0.0.1'} port={self.upstream.port or 5432}"
        if password:
            server += f" password={password}"
        (self.folder / "users.txt").write_text(f'"{user}" "{password}"\n')
        # The clients are our own processes on this machine; PgBouncer logs in to the server as the URL's user.
        (self.folder / "pgbouncer.ini").write_text(f"""[databases]
* = {server}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.folder / "users.txt"}
admin_users = {user}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = {max_clients}
query_wait_timeout = {query_wait_timeout}
server_round_robin = {int(round_robin)}
min_pool_size = {min(3, pool_size) if round_robin else 0}
logfile = {self.folder / "pgbouncer.log"}
""")
        os.chmod(self.folder, 0o755)  # PgBouncer runs as postgres when we are root, and must read it
        if os.geteuid() == 0:  # it refuses to run as root
            shutil.chown(self.folder, "postgres")
            for name in ("users.txt", "pgbouncer.ini"):
                shutil.chown(self.folder / name, "postgres")

    @staticmethod
    def available() -> bool:
        return os.access(BINARY, os.X_OK)

    @property
    def url(self) -> str:
        """The upstream URL with PgBouncer's address instead of the server's."""
        return self.upstream.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def start(self) -> PgBouncer:
        command = [BINARY, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(self.folder / "pgbouncer.ini")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pgbouncer did not start: {self.log()[-2000:]}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop at once (SIGINT: PgBouncer's immediate shutdown), dropping every client and server connection."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(2)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        path = self.folder / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
