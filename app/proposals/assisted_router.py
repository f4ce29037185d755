"""HTTP for assisted intake: staff enter a proposal for a resident or group; the resident claims it."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from app.auth.deps import require_roles
from app.auth.models import Role
from app.auth.principal import Principal
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.proposals import assisted_service, policy
from app.proposals.schemas import AssistedProposalCreate, ProposalDetail, ProposalRead
from app.proposals.views import detail

router = APIRouter(prefix="/api/v1", tags=["proposals"])

Screener = Annotated[Principal, Depends(require_roles(*policy.SCREENER_ROLES))]
Resident = Annotated[Principal, Depends(require_roles(Role.resident))]


@router.post(
    "/assisted-proposals",
    status_code=status.HTTP_201_CREATED,
    response_model=ProposalDetail,
    summary="Enter a proposal for a named resident or group (assisted intake)",
    responses=problems(401, 403, 422),
)
async def enter(
    body: AssistedProposalCreate, request: Request, session: SessionDep, principal: Screener
) -> ProposalDetail:
    """Needs that came by a grid or building leader, a WeChat group, a paper form or 居民说事: the staff member
    holds the draft (attach the paper form to it) until the named proposer claims it with their phone."""
    proposal = await assisted_service.enter(session, request.app.state.settings, principal, body)
    return await detail(session, proposal)


@router.get(
    "/claimable-proposals",
    response_model=Page[ProposalRead],
    summary="Proposals staff entered in my name, waiting to be claimed",
    responses=problems(401, 403),
)
async def claimable(
    session: SessionDep, principal: Resident, page: Annotated[PageParams, Depends(page_params)]
) -> dict:
    """Matched by the phone the caller logged in with."""
    return await paginate(session, assisted_service.claimable_statement(principal), page)


@router.post(
    "/proposals/{proposal_id}/claim",
    response_model=ProposalRead,
    summary="Claim a proposal staff entered in my name",
    responses=problems(401, 403, 404, 409),
)
async def claim(proposal_id: uuid.UUID, session: SessionDep, principal: Resident) -> object:
    """The caller becomes its proposer: they may revise, submit or withdraw it from now on."""
    return await assisted_service.claim(session, principal, proposal_id)
