"""Migrations run up, down and up again on both databases, and agree with the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.common.partitions import include_object
from app.core.migrations import downgrade, head_revision, upgrade

# On PostgreSQL a year's partition of a table is compared as its partitioned table, not as a table of its own.
COMPARE = {"compare_type": True, "include_object": include_object}


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def _diff(url: str) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c, opts=COMPARE), SQLModel.metadata)
            )
    finally:
        await engine.dispose()


@pytest.mark.fresh_database
async def test_upgrade_downgrade_upgrade(db_url):
    model_tables = set(SQLModel.metadata.tables)
    assert model_tables <= await _tables(db_url)
    downgrade(db_url, "base")
    assert await _tables(db_url) <= {"alembic_version"}
    upgrade(db_url, "head")
    assert model_tables <= await _tables(db_url)


async def test_models_and_migrations_agree(db_url):
    assert head_revision() is not None
    assert await _diff(db_url) == []
