"""A real streaming replica on this machine: a primary cluster of our own (initdb, so its pg_hba allows
replication; the shared test server is not reconfigured) holding a copy of the test template, and a hot standby
made from it with pg_basebackup, each on a port of its own in a temporary folder."""

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), Path("/usr/bin"))


def _as_owner(*command: str, **kw) -> subprocess.CompletedProcess:
    """PostgreSQL's tools refuse to run clusters as root: as postgres then."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, **kw)  # noqa: S603


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ReplicaCluster:
    """Primary and standby; `url(port, database)` for either."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="weishi-replica-"))
        os.chmod(self.folder, 0o755)  # noqa: S103 - the clusters run as postgres when we are root
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self.primary_port, self.standby_port = _free_port(), _free_port()
        self.primary, self.standby = self.folder / "primary", self.folder / "standby"

    def _start(self, data: Path, port: int) -> None:
        # fsync off: a test cluster, thrown away; the socket directory is ours, not /var/run/postgresql.
        options = f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        _as_owner(
            str(BIN / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(data.parent / f"{data.name}.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def start(self, template_url: str) -> "ReplicaCluster":
        _as_owner(
            str(BIN / "initdb"), "-D", str(self.primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        self._start(self.primary, self.primary_port)
        source = make_url(template_url)
        _as_owner(
            str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres", "template_copy"
        )
        dump = subprocess.run(  # noqa: S603
            [
                str(BIN / "pg_dump"),
                "--no-owner",
                "-h",
                source.host or "127.0.0.1",
                "-p",
                str(source.port or 5432),
                "-U",
                source.username or "postgres",
                source.database,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        _as_owner(
            str(BIN / "psql"),
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary_port),
            "-U",
            "postgres",
            "template_copy",
            input=dump,
        )
        _as_owner(
            str(BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary_port),
            "-U",
            "postgres",
            "-D",
            str(self.standby),
            "-R",
            "-X",
            "stream",
            "--no-sync",
            # An immediate checkpoint: the default spreads it over minutes (95 s here) for a backup of 10 MB.
            "--checkpoint=fast",
        )
        self.start_standby()
        return self

    def start_standby(self) -> None:
        self._start(self.standby, self.standby_port)

    def stop_standby(self) -> None:
        _as_owner(str(BIN / "pg_ctl"), "-D", str(self.standby), "-m", "immediate", "-w", "stop")

    def url(self, port: int, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{database}"

    def close(self) -> None:
        for data in (self.standby, self.primary):
            if (data / "postmaster.pid").exists():
                with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
                    _as_owner(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
