"""Alembic from code: upgrade, and whether a database is at head."""

from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from alembic import command

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic configuration pointing at this project's migrations."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    if database_url:
        cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


@cache
def head_revision() -> str | None:
    """The newest migration in the code. Read once per process: loading the scripts costs some 25 ms, which
    every start-up schema check and every readiness probe paid."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The migration the database is at (None when it has none)."""
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def _in_own_thread(fn, *args) -> None:
    # env.py drives an async engine with asyncio.run, which cannot nest in a running loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fn, *args).result()


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply migrations up to revision."""
    _in_own_thread(command.upgrade, alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Revert migrations down to revision."""
    _in_own_thread(command.downgrade, alembic_config(database_url), revision)
