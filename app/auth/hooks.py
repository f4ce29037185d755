"""What auth asks of the feature domains, without importing them: each feature registers its answer at startup
(`app/wiring.py`), so the foundation stays below the features (tests/architecture/test_layers.py).

- the region of an evaluation campaign, which scopes an evaluator organisation's API token (`evaluation`)."""

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

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
