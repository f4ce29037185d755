"""The public proposal routes' fast lane (app/fastlane): the list a phone opens and a proposal's page, what a
whole community reads on the last evening of a vote.

They run the route's own functions and statements (app.proposals.public_service: page_on, proposal_on) outside any
transaction, as the route's read session does, and serialise with the route's models. The list is taken with
any of its filters (community_id, programme_id, state) and limit/offset, each at most once and written plainly
(a canonical UUID, a state's own name, a number without leading zeros); for any other query, an unknown id or
a draft they answer nothing and the route answers (or refuses with its problem).
"""

import re
import uuid
from typing import Any
from urllib.parse import parse_qsl

from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.types import Scope

from app.common.compiled import autocommit
from app.common.schemas import Page, PageParams
from app.core.errors import ProblemError
from app.fastlane.lane import FastRoute, state
from app.proposals.enums import ProposalState
from app.proposals.public_service import page_filters, page_on, proposal_on
from app.proposals.schemas import PublicProposal, PublicProposalSummary

_PLAIN_NUMBER = re.compile(r"0|[1-9][0-9]{0,6}")
_LIST_MODEL = Page[PublicProposalSummary]
_STATES = {s.value: s for s in ProposalState}
_FILTERS = {"community_id", "programme_id", "state"}


async def public_proposal(scope: Scope, params: dict[str, str], _body: bytes) -> JSONResponse | None:
    """The route's 200 for a submitted proposal, or None for the route to answer."""
    if scope.get("query_string"):
        return None
    try:
        proposal_id = uuid.UUID(params["proposal_id"])
        async with autocommit(state(scope).engine) as conn:
            found = await proposal_on(conn, proposal_id)
    except (ValueError, ProblemError):
        return None
    return JSONResponse(PublicProposal.model_validate(found).model_dump(mode="json", by_alias=True))


def _uuid(text: str) -> uuid.UUID:
    value = uuid.UUID(text)
    if str(value) != text:
        raise ValueError("not the canonical form")  # braces, upper case, no dashes: the route's to read
    return value


def _list_query(scope: Scope) -> tuple[PageParams, dict[str, Any]] | None:
    """The page and the filters, if the query is written plainly (each parameter once); else None."""
    try:
        pairs = parse_qsl(
            scope.get("query_string", b"").decode("ascii"),
            keep_blank_values=True,
            strict_parsing=bool(scope.get("query_string")),
        )
        query = dict(pairs)
        if len(query) != len(pairs) or set(query) - _FILTERS - {"limit", "offset"}:
            return None
        numbers = {name: query.pop(name) for name in ("limit", "offset") if name in query}
        if not all(_PLAIN_NUMBER.fullmatch(value) for value in numbers.values()):
            return None
        page = PageParams(**{name: int(value) for name, value in numbers.items()})
        if "state" in query and query["state"] not in _STATES:
            return None
        filters = page_filters(
            _uuid(query["community_id"]) if "community_id" in query else None,
            _uuid(query["programme_id"]) if "programme_id" in query else None,
            _STATES[query["state"]] if "state" in query else None,
        )
    except (UnicodeDecodeError, ValueError, ValidationError):
        return None
    return page, filters


async def public_proposals(scope: Scope, _params: dict[str, str], _body: bytes) -> JSONResponse | None:
    """The route's 200 for a page of proposals, or None for the route to answer."""
    if (query := _list_query(scope)) is None:
        return None
    async with autocommit(state(scope).engine) as conn:
        page = await page_on(conn, *query)
    return JSONResponse(_LIST_MODEL.model_validate(page).model_dump(mode="json", by_alias=True))


ROUTES = (
    FastRoute("GET", "/api/v1/public/proposals", public_proposals),
    FastRoute("GET", "/api/v1/public/proposals/{proposal_id}", public_proposal),
)
