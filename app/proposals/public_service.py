"""What the public reads about proposals (居务公开): submitted ones only, never who proposed them.

The list is a page a whole community opens on its phones, so it is one Core statement selecting
only public columns, not ORM objects.
"""

import uuid
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.common.schemas import PageParams
from app.core.errors import NotFound
from app.proposals.enums import ProposalState
from app.proposals.models import BudgetLine, Proposal

_PROPOSAL, _LINE = Proposal.__table__, BudgetLine.__table__
_P = _PROPOSAL.c
SUMMARY_COLUMNS = (
    _P.id,
    _P.programme_id,
    _P.community_id,
    _P.unit_id,
    _P.proposer_kind,
    _P.title,
    _P.kind,
    _P.project_type,
    _P.category,
    _P.total_fen,
    _P.state,
    _P.submitted_at,
)
DETAIL_COLUMNS = (*SUMMARY_COLUMNS, _P.need, _P.plan, _P.benefits)
_L = _LINE.c
LINE_COLUMNS = (_L.position, _L.item, _L.unit, _L.quantity, _L.unit_price_fen, _L.amount_fen, _L.is_personnel)
# A proposal's public page is the most opened page of a vote's last evening: one statement, built once, one
# row per budget line (the proposal's columns on each; one row with no line when it has none).
DETAIL = (
    select(*DETAIL_COLUMNS, *(c.label(f"line_{c.name}") for c in LINE_COLUMNS))
    .select_from(_PROPOSAL.outerjoin(_LINE, _L.proposal_id == _P.id))
    .where(_P.id == bindparam("proposal_id"), _P.submitted_at.is_not(None))
    .order_by(_L.position)
)


@cache
def page_statements(community: bool, programme: bool, state: bool) -> tuple[Select[Any], Select[Any]]:
    """The count and one page of submitted proposals, newest first, public columns only, filtered by the
    parameters named community_id, programme_id and state when asked, with limit and offset as parameters.
    Built once for each set of filters; the route and the fast lane (app/proposals/fast.py) run these objects."""
    where = [_P.submitted_at.is_not(None)]
    if community:
        where.append(_P.community_id == bindparam("community_id"))
    if programme:
        where.append(_P.programme_id == bindparam("programme_id"))
    if state:
        where.append(_P.state == bindparam("state"))
    total = select(func.count()).select_from(_PROPOSAL).where(*where)
    rows = (
        select(*SUMMARY_COLUMNS)
        .where(*where)
        .order_by(_P.submitted_at.desc(), _P.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return total, rows


def page_filters(
    community_id: uuid.UUID | None, programme_id: uuid.UUID | None, state: ProposalState | None
) -> dict[str, Any]:
    """The filters asked for, by the names page_statements binds them under."""
    found = {"community_id": community_id, "programme_id": programme_id, "state": state and state.value}
    return {name: value for name, value in found.items() if value is not None}


async def page_on(conn: Any, params: PageParams, filters: dict[str, Any]) -> dict[str, Any]:
    """One page of submitted proposals on a connection that runs Core statements (a session's, or the fast
    lane's executor): the response's fields."""
    count, page = page_statements("community_id" in filters, "programme_id" in filters, "state" in filters)
    values = {**filters, "limit": params.limit, "offset": params.offset}
    total = (await conn.execute(count, values)).scalar()
    rows = (await conn.execute(page, values)).mappings().all()
    return {"items": [dict(r) for r in rows], "total": total or 0, "limit": params.limit, "offset": params.offset}


async def public_page(
    session: AsyncSession,
    params: PageParams,
    community_id: uuid.UUID | None,
    programme_id: uuid.UUID | None,
    state: ProposalState | None,
) -> dict[str, Any]:
    """One page of submitted proposals, newest first, with public columns only."""
    return await page_on(await session.connection(), params, page_filters(community_id, programme_id, state))


async def public_proposal(session: AsyncSession, proposal_id: uuid.UUID) -> dict[str, Any]:
    """One submitted proposal with its lines; 404 for drafts and unknown ids alike."""
    return await proposal_on(await session.connection(), proposal_id)


async def proposal_on(conn: Any, proposal_id: uuid.UUID) -> dict[str, Any]:
    """public_proposal on a connection that runs Core statements (a session's, or the fast lane's executor)."""
    rows = (await conn.execute(DETAIL, {"proposal_id": proposal_id})).mappings().all()
    if not rows:
        raise NotFound("No proposal with that id.", code="proposal_not_found")
    lines = [{c.name: row[f"line_{c.name}"] for c in LINE_COLUMNS} for row in rows if row["line_position"] is not None]
    return {**{c.name: rows[0][c.name] for c in DETAIL_COLUMNS}, "budget_lines": lines}
