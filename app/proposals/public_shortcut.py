"""The public proposal pages on PostgreSQL, answered before the framework (app.common.shortcut): the list a
phone opens and a proposal's page, what a whole community reads on the last evening of a vote.

They run the route's own statements (app.proposals.public), compiled once for asyncpg, and serialise with
the route's models. The list is taken only in its common form, `?community_id=…[&limit=…][&offset=…]`
written plainly; for any other query, an unknown id or a draft they answer nothing and the route answers.
"""

import re
import uuid
from typing import Any
from urllib.parse import parse_qsl

from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from starlette.types import Scope

from app.common.schemas import Page, PageParams
from app.common.shortcut import driver_connection, on_postgresql
from app.proposals.public import DETAIL, LINES, page_statements
from app.proposals.schemas import PublicProposal, PublicProposalSummary

PAGE_PATH = r"/api/v1/public/proposals/([0-9a-fA-F-]{36})"
LIST_PATH = r"/api/v1/public/proposals"
_PLAIN_NUMBER = re.compile(r"0|[1-9][0-9]{0,6}")
_LIST_MODEL = Page[PublicProposalSummary]


def _for_asyncpg(statement: Any) -> tuple[str, tuple[str, ...]]:
    """The statement's SQL for asyncpg and the names of its $1, $2, ... in order."""
    compiled = statement.compile(dialect=asyncpg_dialect())
    return str(compiled), tuple(compiled.positiontup or ())


_DETAIL, _LINES = (_for_asyncpg(statement)[0] for statement in (DETAIL, LINES))
(_COUNT, _COUNT_ARGS), (_LIST, _LIST_ARGS) = (_for_asyncpg(statement) for statement in page_statements(
    bindparam("limit"), bindparam("offset"), community_id=bindparam("community_id")))


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


def _community_list_query(scope: Scope) -> dict[str, Any] | None:
    """community_id, limit and offset, if the query is exactly those, each once, written plainly."""
    try:
        pairs = parse_qsl(scope.get("query_string", b"").decode("ascii"), keep_blank_values=True,
                          strict_parsing=True)
        query = dict(pairs)
        if len(query) != len(pairs) or "community_id" not in query or set(query) - {"community_id", "limit",
                                                                                    "offset"}:
            return None
        community_id = uuid.UUID(query.pop("community_id"))
        if not all(_PLAIN_NUMBER.fullmatch(value) for value in query.values()):
            return None
        params = PageParams(**{name: int(value) for name, value in query.items()})
    except (UnicodeDecodeError, ValueError, ValidationError):
        return None
    if str(community_id) != dict(pairs)["community_id"]:
        return None  # braces, upper case, no dashes: forms the route may read otherwise
    return {"community_id": community_id, "limit": params.limit, "offset": params.offset}


async def community_list(scope: Scope, _path: re.Match[str], _body: bytes) -> JSONResponse | None:
    """The route's 200 for one community's page of proposals, or None for the route to answer."""
    if not on_postgresql(scope) or (query := _community_list_query(scope)) is None:
        return None
    async with driver_connection(scope["app"].state.engine) as driver:
        total = await driver.fetchval(_COUNT, *(query[name] for name in _COUNT_ARGS))
        rows = await driver.fetch(_LIST, *(query[name] for name in _LIST_ARGS))
    page = _LIST_MODEL.model_validate({"items": [dict(row) for row in rows], "total": total or 0,
                                       "limit": query["limit"], "offset": query["offset"]})
    return JSONResponse(page.model_dump(mode="json", by_alias=True))
