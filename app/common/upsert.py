"""INSERT ... ON CONFLICT for the session's dialect (SQLite and PostgreSQL spell it the same way in SQLAlchemy)."""

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """An INSERT on table that offers on_conflict_do_nothing / on_conflict_do_update on either backend."""
    return insert_on(session.get_bind().dialect.name, table)


def insert_on(dialect: str, table: Any) -> Any:
    """insert_for by the dialect's name."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
