"""Public proposal endpoints (居务公开): submitted proposals without the proposer's personal data."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from app.common.pagination import page_params
from app.common.schemas import Page, PageParams
from app.core.db import ReadSessionDep
from app.core.errors import problems
from app.proposals import public_service
from app.proposals.enums import ProposalState
from app.proposals.schemas import PublicProposal, PublicProposalSummary

router = APIRouter(prefix="/api/v1/public", tags=["proposals"])


@router.get(
    "/proposals",
    response_model=Page[PublicProposalSummary],
    summary="Public list of proposals",
    responses=problems(422),
)
async def public_proposals(
    session: ReadSessionDep,
    page: Annotated[PageParams, Depends(page_params)],
    community_id: uuid.UUID | None = None,
    programme_id: uuid.UUID | None = None,
    state: ProposalState | None = None,
) -> dict:
    """Proposals from submission on, newest first; no login, no proposer."""
    return await public_service.public_page(session, page, community_id, programme_id, state)


@router.get(
    "/proposals/{proposal_id}",
    response_model=PublicProposal,
    summary="Public view of a proposal",
    responses=problems(404, 422),
)
async def public_proposal(proposal_id: uuid.UUID, session: ReadSessionDep) -> dict:
    """One submitted proposal with its budget; drafts answer 404."""
    return await public_service.public_proposal(session, proposal_id)
