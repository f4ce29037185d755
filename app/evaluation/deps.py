"""Role gates of the evaluation routes; those under /campaigns/{campaign_id} also hold API tokens to their campaign."""

import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.deps import require_roles
from app.auth.models import Role
from app.auth.principal import Principal
from app.evaluation import policy


def campaign_gate(*roles: Role, write: bool = False):
    """require_roles(*roles), then policy.check_token against the campaign in the path."""
    gate = require_roles(*roles)

    async def _gate(campaign_id: uuid.UUID, principal: Annotated[Principal, Depends(gate)]) -> Principal:
        policy.check_token(principal, campaign_id, write=write)
        return principal

    _gate.allowed_roles = gate.allowed_roles  # read by the access-control walk test
    return _gate


def token_gate(*roles: Role):
    """require_roles(*roles) for reads outside a campaign's path; tokens need assessments:read."""
    gate = require_roles(*roles)

    async def _gate(principal: Annotated[Principal, Depends(gate)]) -> Principal:
        policy.check_token(principal, principal.campaign_id, write=False)
        return principal

    _gate.allowed_roles = gate.allowed_roles
    return _gate


Manager = Annotated[Principal, Depends(require_roles(*policy.MANAGER_ROLES))]
Overseer = Annotated[Principal, Depends(require_roles(*policy.OVERSEER_ROLES))]
CampaignReader = Annotated[Principal, Depends(token_gate(*policy.CAMPAIGN_READER_ROLES))]
CampaignManager = Annotated[Principal, Depends(campaign_gate(*policy.MANAGER_ROLES, write=True))]
CampaignOverseer = Annotated[Principal, Depends(campaign_gate(*policy.OVERSEER_ROLES))]
CampaignViewer = Annotated[Principal, Depends(campaign_gate(*policy.CAMPAIGN_READER_ROLES))]
ScoreReader = Annotated[Principal, Depends(campaign_gate(*policy.SCORER_ROLES))]
ScoreWriter = Annotated[Principal, Depends(campaign_gate(*policy.SCORER_ROLES, write=True))]
Rater = Annotated[Principal, Depends(campaign_gate(*policy.RATER_ROLES, write=True))]
StreetAdmin = Annotated[Principal, Depends(campaign_gate(*policy.STREET_ROLES, write=True))]
InspectionReader = Annotated[Principal, Depends(campaign_gate(*policy.INSPECTION_READER_ROLES))]
