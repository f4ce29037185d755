"""Loading one row by id for a service: 404 when absent, optionally under its row lock."""

from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound


async def get_or_404(session: AsyncSession, model: Any, row_id: Any, *, code: str, detail: str,
                     lock: Literal["share", "update"] | None = None) -> Any:
    """The row, fresh from the database; `lock` takes its row lock on PostgreSQL (SQLite serialises writes)."""
    stmt = select(model).where(model.id == row_id)
    if lock:
        stmt = stmt.with_for_update(read=lock == "share")
    row = await session.scalar(stmt.execution_options(populate_existing=True))
    if row is None:
        raise NotFound(detail, code=code)
    return row
