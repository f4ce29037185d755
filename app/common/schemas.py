"""Request and response bases shared by every domain."""

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.common.strict import StrictInput

T = TypeVar("T")


class WriteModel(StrictInput):
    """A request body: unknown fields are refused (no mass assignment), text is trimmed, and numbers, booleans
    and dates must come as the schema declares them (app.common.strict)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    """A response body built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list: the items and how many there are in all."""

    items: list[T]
    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class PageParams(BaseModel):
    """limit/offset with a hard ceiling so no list is unbounded."""

    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)
