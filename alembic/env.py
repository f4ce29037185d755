"""Alembic environment: async engines, batch mode on SQLite, metadata from app.models."""

import asyncio

from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import app.models  # noqa: F401  (registers every table)
from alembic import context
from app.common.models import UTCDateTime
from app.common.partitions import include_object
from app.core.config import get_settings
from app.core.db import ensure_sqlite_folder, pooler_connect_args

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def _render_item(type_, obj, autogen_context):
    # Migrations must not import app code: write our column types as what they store.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        include_object=include_object,  # a year's partition is its table's (app/common/partitions.py)
    )


def _run_sync(connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    ensure_sqlite_folder(_url())  # `weishi migrate` is the first command on a fresh checkout
    url = _url()
    # Through PgBouncer (WEISHI_DB_POOLER) a migration must not leave named statements behind either.
    connect_args = {} if url.startswith("sqlite") else pooler_connect_args(get_settings().db_pooler)
    engine = create_async_engine(url, connect_args=connect_args)
    async with engine.connect() as conn:
        await conn.run_sync(_run_sync)
        await conn.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    """Run against a live database; reuses a connection passed in by tests if there is one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_sync(connection)
        return
    asyncio.run(_run_async())


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
