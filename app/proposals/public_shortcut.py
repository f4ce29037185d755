"""A proposal's public page on PostgreSQL, answered before the framework (app.common.shortcut): the page a
whole community opens on the last evening of a vote.

It runs the route's own two statements (app.proposals.public) on asyncpg and serialises with the route's
model; for an unknown id, a draft, or anything else it answers nothing and the route answers (404 or 422).
"""

import re
import uuid

from fastapi.responses import JSONResponse
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from starlette.types import Scope

from app.common.shortcut import driver_connection, on_postgresql
from app.proposals.public import DETAIL, LINES
from app.proposals.schemas import PublicProposal

PATH = r"/api/v1/public/proposals/([0-9a-fA-F-]{36})"
# The same statements, compiled once for asyncpg: each takes the proposal id as $1.
_DETAIL, _LINES = (str(statement.compile(dialect=asyncpg_dialect())) for statement in (DETAIL, LINES))


async def public_proposal(scope: Scope, path: re.Match[str], _body: bytes) -> JSONResponse | None:
    """The route's 200 for a submitted proposal, or None for the route to answer."""
    if not on_postgresql(scope) or scope.get("query_string"):
        return None
    try:
        proposal_id = uuid.UUID(path.group(1))
    except ValueError:
        return None
    async with driver_connection(scope["app"].state.engine) as driver:
        row = await driver.fetchrow(_DETAIL, proposal_id)
        if row is None:
            return None
        lines = await driver.fetch(_LINES, proposal_id)
    page = PublicProposal.model_validate({**row, "budget_lines": [dict(line) for line in lines]})
    return JSONResponse(page.model_dump(mode="json", by_alias=True))
