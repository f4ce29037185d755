"""HTTP for the audit trail (台账): filtered reading within the caller's region, and chain verification."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service
from app.audit.models import AuditEvent
from app.audit.schemas import AuditEventRead, ChainBreak, ChainVerification
from app.audit.sealer import seal_pending
from app.auth.deps import require_roles
from app.auth.models import Role
from app.auth.principal import Principal
from app.auth.scoping import restrict_to_region
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.common.strict import ParamText, QueryBool, QueryInstant
from app.core.db import SessionDep
from app.core.errors import Unprocessable, problems

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

# Supervisors (居务监督委员会) audit; district admins read their district's trail; admins pass always.
Reader = Annotated[Principal, Depends(require_roles(Role.supervisor, Role.district_admin))]
Verifier = Annotated[Principal, Depends(require_roles(Role.supervisor))]


def event_filters(
    entity_type: Annotated[ParamText | None, Query(max_length=64)] = None,
    entity_id: Annotated[ParamText | None, Query(max_length=64)] = None,
    actor_id: Annotated[ParamText | None, Query(max_length=64)] = None,
    action: Annotated[ParamText | None, Query(max_length=100)] = None,
    occurred_from: Annotated[
        QueryInstant | None, Query(alias="from", description="events at or after this instant (ISO 8601 with offset)")
    ] = None,
    occurred_to: Annotated[
        QueryInstant | None, Query(alias="to", description="events before this instant (ISO 8601 with offset)")
    ] = None,
    region_id: Annotated[uuid.UUID | None, Query(description="events in this region or below it")] = None,
) -> Select:
    """The filters of the event list as a select."""
    if occurred_from and occurred_to and occurred_from > occurred_to:
        raise Unprocessable("`from` must not be later than `to`.", code="invalid_date_range")
    return service.events_query(
        entity_type=entity_type,
        entity_id=entity_id,
        actor_id=actor_id,
        action=action,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        region_id=region_id,
    )


async def _sealed(request: Request, session: AsyncSession) -> None:
    """Link what is pending into the chain, then read on a fresh snapshot that includes it."""
    await seal_pending(request.app.state.sessionmaker)
    await session.commit()


@router.get(
    "/events",
    response_model=Page[AuditEventRead],
    summary="Read and filter the audit trail",
    responses=problems(401, 403, 422),
)
async def list_events(
    request: Request,
    session: SessionDep,
    principal: Reader,
    query: Annotated[Select, Depends(event_filters)],
    params: Annotated[PageParams, Depends(page_params)],
) -> dict:
    """Events newest first; outside admin, only those whose region lies within the caller's region. Events
    recorded a moment ago are sealed into the chain first, so every change made before the call is listed."""
    await _sealed(request, session)
    return await paginate(session, restrict_to_region(query, principal, AuditEvent.region_path), params)


@router.get(
    "/verify", response_model=ChainVerification, summary="Verify the whole hash chain", responses=problems(401, 403)
)
async def verify_chain(
    request: Request,
    session: SessionDep,
    principal: Verifier,
    from_genesis: Annotated[
        QueryBool,
        Query(
            description="walk the archived years too, from genesis (their tables must be in the archive schema); "
            "by default the walk starts from the recorded anchor of the archived years"
        ),
    ] = False,
) -> ChainVerification:
    """Seal pending events, then walk every event in order from the archived years' anchor (or genesis); name
    the first whose link or content does not verify. `archived` counts the events before the walk's start,
    `pending` those recorded during the walk, which the next verification covers."""
    await _sealed(request, session)
    found = await service.walk(session, from_genesis=from_genesis)
    broken = found.broken
    first = (
        None if broken is None else ChainBreak(seq=broken.seq, event_id=broken.event_id or None, reason=broken.reason)
    )
    return ChainVerification(
        ok=broken is None,
        checked=found.checked,
        archived=found.archived,
        first_break=first,
        pending=await service.pending_count(session),
    )
