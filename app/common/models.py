"""Table base: UUID primary keys, UTC timestamps and a constraint naming convention."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

from app.core import clock

# Stable constraint names so Alembic migrations match on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC, from the service's clock."""
    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as UTC; SQLite drops the zone, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def uuid_pk() -> uuid.UUID:
    """A primary key column default."""
    column: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    return column


def created_at_field() -> datetime:
    """A created_at column filled at insert."""
    column: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    return column


def str_enum(enum_cls: type, length: int = 32) -> SAEnum:
    """An enum stored as VARCHAR (no native PostgreSQL type to migrate when values are added)."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        length=length,
        create_constraint=False,
        values_callable=lambda e: [m.value for m in e],
    )
