"""`weishi backup` and `weishi restore`: the database and the uploaded files in one tar archive.

PostgreSQL goes through pg_dump's custom format and pg_restore (one transaction, stopping at the first error);
SQLite through its online backup API, so a running service keeps writing while the copy is taken."""

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from app.core import clock
from app.core.config import Settings
from app.core.db import make_engine
from app.core.errors import ServiceUnavailable, Unprocessable
from app.core.migrations import alembic_config, current_revision
from app.ops import rules


def _backend(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (which would show in `ps`) and the environment carrying it."""
    url = make_url(settings.database_url).set(drivername="postgresql")
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    return url.set(password=None).render_as_string(hide_password=False), env


def _sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.database_url).database)


def _sqlite_copy(source: Path, target: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


async def _read_state(settings: Settings) -> tuple[list[str], str | None]:
    engine = make_engine(settings)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        return tables, (await current_revision(engine) if "alembic_version" in tables else None)
    finally:
        await engine.dispose()


def _state(settings: Settings) -> tuple[list[str], str | None]:
    """The database's tables and migration revision (its own event loop: backup and restore are blocking)."""
    return asyncio.run(_read_state(settings))


def _tool(args: list[str], env: dict[str, str]) -> None:
    """Run pg_dump or pg_restore; their own message goes to the operator when they fail."""
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode:
        raise ServiceUnavailable(f"{args[0]} 失败：{result.stderr.strip()[-500:]}", code="backup_tool_failed")


def backup(settings: Settings, archive: Path) -> dict[str, Any]:
    """Write the archive (first to a temporary name beside it, so a failed backup leaves no half file)."""
    _, revision = _state(settings)
    backend, uploads = _backend(settings), Path(settings.upload_dir)
    files = _files(uploads)
    info = rules.manifest(backend, revision, clock.now().isoformat(), len(files))
    partial = archive.with_name(archive.name + ".partial")
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / info["database_file"]
        if backend == "sqlite":
            _sqlite_copy(_sqlite_path(settings), dump)
        else:
            url, env = _libpq(settings)
            _tool(["pg_dump", "--format=custom", "--file", str(dump), url], env)
        (Path(tmp) / rules.MANIFEST).write_text(json.dumps(info, ensure_ascii=False))
        with tarfile.open(partial, "w") as tar:
            tar.add(Path(tmp) / rules.MANIFEST, arcname=rules.MANIFEST)
            tar.add(dump, arcname=info["database_file"])
            for path in files:
                tar.add(path, arcname=f"{rules.UPLOADS}/{path.relative_to(uploads).as_posix()}")
    os.replace(partial, archive)
    return {**info, "bytes": archive.stat().st_size}


def _known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _extract(tar: tarfile.TarFile, folder: Path) -> None:
    # Only regular files under their own names: a crafted archive cannot write outside the folder.
    tar.extractall(folder, members=[m for m in tar.getmembers() if m.isfile()], filter="data")


def restore(settings: Settings, archive: Path) -> dict[str, Any]:
    """Restore the archive into the configured database and upload folder, both of which must be empty."""
    backend, uploads = _backend(settings), Path(settings.upload_dir)
    with tarfile.open(archive, "r") as tar, tempfile.TemporaryDirectory() as tmp:
        try:
            info = json.load(tar.extractfile(rules.MANIFEST))
        except (KeyError, ValueError) as exc:
            raise Unprocessable("备份文件缺少说明（manifest.json）。", code="backup_unreadable") from exc
        rules.check_manifest(info, backend, _known_revisions())
        if backend == "sqlite" and not _sqlite_path(settings).exists():
            tables, revision = [], None
        else:
            tables, revision = _state(settings)
        rules.check_target(tables, revision, info["revision"])
        rules.check_uploads(len(_files(uploads)))
        _extract(tar, Path(tmp))
        dump = Path(tmp) / info["database_file"]
        if backend == "sqlite":
            _sqlite_path(settings).parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(dump, _sqlite_path(settings))
        else:
            url, env = _libpq(settings)
            _tool(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-acl",
                    "--single-transaction",
                    "--exit-on-error",
                    "--dbname",
                    url,
                    str(dump),
                ],
                env,
            )
        if (Path(tmp) / rules.UPLOADS).is_dir():
            shutil.copytree(Path(tmp) / rules.UPLOADS, uploads, dirs_exist_ok=True)
    return info
