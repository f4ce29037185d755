"""What auth asks of the feature domains, without importing them: each feature registers its answer at startup
(`app/wiring.py`), so the foundation stays below the features (tests/architecture/test_layers.py).

- the region of an evaluation campaign, which scopes an evaluator organisation's API token (`evaluation`);
- the membership that goes with binding a staff account to an organisation (`organisations`)."""

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.auth.principal import Principal

# The campaign's region path, or None when there is no campaign with that id.
CampaignRegion = Callable[[AsyncSession, uuid.UUID], Awaitable[str | None]]

_campaign_region: CampaignRegion | None = None


def provide_campaign_region(lookup: CampaignRegion) -> None:
    """Register how to find a campaign's region (the evaluation domain does, at startup)."""
    global _campaign_region
    _campaign_region = lookup


async def campaign_region(session: AsyncSession, campaign_id: uuid.UUID) -> str | None:
    """The campaign's region path, or None when it does not exist."""
    if _campaign_region is None:
        raise RuntimeError("No campaign lookup registered: call app.wiring.wire() at startup.")
    return await _campaign_region(session, campaign_id)


# Close the user's membership of `before` and open one of `after` (either may be None), audited, in the caller's
# transaction; it raises a problem when the membership may not end (the organisation's last owner).
MembershipMove = Callable[[AsyncSession, Principal, User, uuid.UUID | None, uuid.UUID | None], Awaitable[None]]

_move_membership: MembershipMove | None = None


def provide_membership_move(move: MembershipMove) -> None:
    """Register how an account's organisation binding moves its membership (the organisations domain does)."""
    global _move_membership
    _move_membership = move


async def move_membership(
    session: AsyncSession, principal: Principal, user: User, before: uuid.UUID | None, after: uuid.UUID | None
) -> None:
    """Make the user's open membership follow their organisation binding from before to after."""
    if _move_membership is None:
        raise RuntimeError("No membership move registered: call app.wiring.wire() at startup.")
    await _move_membership(session, principal, user, before, after)
