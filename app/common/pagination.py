"""Run a select as one page plus its total count."""

from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.schemas import PageParams


def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="page size (1-200)")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> PageParams:
    """Query parameters of every list endpoint."""
    return PageParams(limit=limit, offset=offset)


async def paginate(session: AsyncSession, stmt: Select[Any], params: PageParams) -> dict[str, Any]:
    """Items of one page and the total, as a dict ready for a Page[...] response."""
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = (await session.scalars(stmt.limit(params.limit).offset(params.offset))).all()
    return {"items": rows, "total": total or 0, "limit": params.limit, "offset": params.offset}


async def paginate_rows(session: AsyncSession, stmt: Select[Any], params: PageParams, shape: Any) -> dict[str, Any]:
    """Like paginate, for a select of several columns: each row is turned into an item by shape(row)."""
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = (await session.execute(stmt.limit(params.limit).offset(params.offset))).all()
    return {"items": [shape(row) for row in rows], "total": total or 0, "limit": params.limit, "offset": params.offset}
