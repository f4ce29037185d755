"""The region tree, stored with a materialised path so 'within my region' is one prefix test."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime, created_at_field, str_enum, utcnow, uuid_pk


class RegionLevel(StrEnum):
    """Administrative level of a region node."""

    district = "district"  # 区
    street = "street"  # 街道/镇
    community = "community"  # 社区/村
    grid = "grid"  # 网格
    compound = "compound"  # 小区
    group = "group"  # 小组
    building = "building"  # 楼栋/楼道


class ResidentialType(StrEnum):
    """Residential area typing used in reports and guidance (seed 004), not a rule."""

    modern = "modern"  # 现代型
    current = "current"  # 现实型
    transitional = "transitional"  # 过渡型


class Region(SQLModel, table=True):
    """One node of the tree; path is '/<root id>/.../<own id>/' (hex UUIDs)."""

    __tablename__ = "region"
    __table_args__ = (
        UniqueConstraint("parent_id", "name"),
        # NULLs are distinct in a unique constraint, so districts (no parent) need their own index.
        Index(
            "uq_region_root_name",
            "name",
            unique=True,
            sqlite_where=text("parent_id IS NULL"),
            postgresql_where=text("parent_id IS NULL"),
        ),
        # Pattern ops let PostgreSQL answer "path LIKE 'prefix%'" from the index under any collation.
        Index("ix_region_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    id: uuid.UUID = uuid_pk()
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="region.id", index=True)
    level: RegionLevel = Field(sa_type=str_enum(RegionLevel, 16), index=True)
    name: str = Field(max_length=100)
    code: str | None = Field(default=None, max_length=32, index=True)
    path: str = Field(max_length=400)
    residential_type: ResidentialType | None = Field(default=None, sa_type=str_enum(ResidentialType, 16))
    created_at: datetime = created_at_field()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
