"""Loading one row by primary key for a service: the domain's 404 when absent, optionally fresh or under its row
lock. The one way to load-or-404; each domain's getter (`get_proposal`, `get_round`, ...) passes its own stable
problem code and text."""

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound

Row = TypeVar("Row")


async def get_or_404(
    session: AsyncSession,
    model: type[Row],
    row_id: Any,
    *,
    code: str,
    detail: str,
    lock: Literal["share", "update"] | None = None,
    fresh: bool = False,
    accept: Callable[[Row], bool] | None = None,
) -> Row:
    """The row with this primary key (a tuple for a composite key), else NotFound(detail, code=code).

    The session's copy when it holds the row already; `fresh` reads the row from the database again,
    overwriting that copy; `lock` takes its row lock on PostgreSQL (SQLite serialises writes) and implies
    `fresh`. `accept` turns a row the caller may not see (another person's, the wrong kind) into the same 404."""
    row = await session.get(
        model,
        row_id,
        populate_existing=fresh or lock is not None,
        with_for_update={"read": lock == "share"} if lock else None,
    )
    if row is None or (accept is not None and not accept(row)):
        raise NotFound(detail, code=code)
    return row
