"""Request and response bodies of the regions API."""

import unicodedata
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, field_validator, model_validator

from app.common.schemas import ReadModel, WriteModel
from app.common.strict import DisplayText
from app.regions.models import RegionLevel, ResidentialType

NAME_MAX = 100
CODE_MAX = 32
CODE_PATTERN = r"^[0-9A-Za-z_-]+$"


def printable_name(value: str) -> str:
    """A name without control characters (they break CSV exports and printed notices)."""
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("a name may not contain control characters")
    return value


RegionName = Annotated[
    DisplayText, StringConstraints(min_length=1, max_length=NAME_MAX), AfterValidator(printable_name)
]
# 行政区划代码 are digits; local codes for grids and compounds may add letters.
RegionCode = Annotated[str, StringConstraints(min_length=1, max_length=CODE_MAX, pattern=CODE_PATTERN)]


class RegionCreate(WriteModel):
    """A new node under parent_id (omit parent_id only for a district)."""

    name: RegionName
    level: RegionLevel
    parent_id: uuid.UUID | None = None
    code: RegionCode | None = Field(default=None, description="e.g. 行政区划代码 440304")
    residential_type: ResidentialType | None = None


class RegionUpdate(WriteModel):
    """Fields that may change; send only those to change (null clears code or residential_type)."""

    name: RegionName | None = None
    code: RegionCode | None = None
    residential_type: ResidentialType | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_moves(cls, data: Any) -> Any:
        if isinstance(data, dict) and ({"level", "parent_id"} & data.keys()):
            raise ValueError(
                "level and parent_id cannot be changed in this version; create the node under its new parent instead"
            )
        return data

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("name cannot be null")
        return value


class RegionRead(ReadModel):
    """A region node as staff see it."""

    id: uuid.UUID
    parent_id: uuid.UUID | None
    level: RegionLevel
    name: str
    code: str | None
    residential_type: ResidentialType | None
    created_at: datetime
    updated_at: datetime


class PublicRegion(ReadModel):
    """What anyone may read of a node: enough to pick one's community."""

    id: uuid.UUID
    name: str
    level: RegionLevel


class RegionTreeNode(BaseModel):
    """A node with its children; districts and streets carry how many communities lie below."""

    id: uuid.UUID
    name: str
    level: RegionLevel
    code: str | None
    residential_type: ResidentialType | None
    community_count: int | None = None
    children: list["RegionTreeNode"] = Field(default_factory=list)


class ImportResult(BaseModel):
    """What a CSV import created, found already present, and which codes it filled in."""

    district_id: uuid.UUID | None = Field(description="null only on a dry run of a new district")
    district_name: str
    dry_run: bool
    rows: int
    encoding: str
    file_sha256: str
    created: dict[RegionLevel, int]
    existing: dict[RegionLevel, int]
    codes_set: int
    nothing_new: bool
    message: str
