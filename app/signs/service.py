"""Which projects carry a sign, and what it says."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.common.rows import get_or_404
from app.programmes.models import Programme
from app.proposals.models import Proposal
from app.signs import rules


@dataclass(frozen=True)
class Sign:
    proposal_id: uuid.UUID
    title: str
    code: str


async def sign_for(session: AsyncSession, proposal_id: uuid.UUID) -> Sign:
    """The sign of a confirmed project (or one past confirmation); 404 for anything else, as for no project."""
    proposal = await get_or_404(
        session,
        Proposal,
        proposal_id,
        code="project_not_found",
        detail="No confirmed project with that id.",
        accept=lambda p: p.state in rules.SIGNED_STATES,
    )
    programme = await session.get(Programme, proposal.programme_id)
    return Sign(proposal.id, proposal.title, rules.project_code(programme.year, proposal.id))
