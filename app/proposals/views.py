"""Shaping proposals for responses, shared by the proposal routers."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.proposals import service
from app.proposals.models import Proposal
from app.proposals.schemas import BudgetLineRead, ProposalDetail, ProposalRead


async def detail(session: AsyncSession, proposal: Proposal) -> ProposalDetail:
    """The proposal with its budget lines."""
    lines = await service.budget_lines(session, proposal.id)
    return ProposalDetail(
        **ProposalRead.model_validate(proposal).model_dump(),
        budget_lines=[BudgetLineRead.model_validate(ln) for ln in lines],
    )
