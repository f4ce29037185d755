"""HTTP for deliberation councils: announce, register, invite, draw participants."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.auth.deps import require_roles
from app.auth.models import Role
from app.auth.principal import Principal
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.common.strict import QueryBool
from app.core.db import SessionDep
from app.core.errors import problems
from app.deliberation import councils_service, policy, roster_service
from app.deliberation.council_models import Council, CouncilParticipant
from app.deliberation.council_schemas import (
    CouncilCreate,
    CouncilRead,
    GroupDecision,
    InvitationCreate,
    ParticipantRead,
    RegistrationCreate,
    SelectionCreate,
    SelectionRead,
)

router = APIRouter(prefix="/api/v1", tags=["deliberation"])

Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]
Organiser = Annotated[Principal, Depends(require_roles(*policy.ORGANISER_ROLES))]
Resident = Annotated[Principal, Depends(require_roles(Role.resident))]
Paging = Annotated[PageParams, Depends(page_params)]


async def valid_council(council_id: uuid.UUID, session: SessionDep) -> Council:
    """The council named in the path, or 404."""
    return await councils_service.get_council(session, council_id)


CouncilDep = Annotated[Council, Depends(valid_council)]


@router.post(
    "/communities/{community_id}/councils",
    status_code=status.HTTP_201_CREATED,
    response_model=CouncilRead,
    summary="Announce a deliberation council (议事会)",
    responses=problems(401, 403, 404, 422),
)
async def create_council(
    community_id: uuid.UUID, body: CouncilCreate, session: SessionDep, principal: Organiser
) -> Council:
    """Registration opens at once; the announcement is public."""
    community = await roster_service.get_community(session, community_id)
    return await councils_service.create_council(session, principal, community, body)


@router.get("/councils", response_model=Page[CouncilRead], summary="List councils", responses=problems(401, 403))
async def list_councils(
    session: SessionDep, principal: Reader, page: Paging, community_id: uuid.UUID | None = None
) -> dict:
    """Councils of the caller's region."""
    return await paginate(session, councils_service.list_statement(principal, community_id), page)


@router.get(
    "/councils/{council_id}", response_model=CouncilRead, summary="Read a council", responses=problems(401, 403, 404)
)
async def read_council(council: CouncilDep, principal: Reader) -> Council:
    """One council, with the seed once participants are drawn."""
    policy.check_read(principal, council.region_path, "council")
    return council


@router.post(
    "/councils/{council_id}/registrations",
    status_code=status.HTTP_201_CREATED,
    response_model=ParticipantRead,
    summary="Register to take part (公开报名)",
    responses=problems(401, 403, 404, 409, 422),
)
async def register(
    body: RegistrationCreate, council: CouncilDep, session: SessionDep, principal: Resident
) -> CouncilParticipant:
    """A resident on the community's roll registers themself while registration is open; once per council.
    403 `not_on_roll`; 422 `group_not_on_roll` when the group names a sub-unit the roll does not place them in."""
    return await councils_service.register(session, principal, council, body)


@router.post(
    "/councils/{council_id}/invitations",
    status_code=status.HTTP_201_CREATED,
    response_model=ParticipantRead,
    summary="Invite a participant (主动邀请)",
    responses=problems(401, 403, 404, 409, 422),
)
async def invite(
    body: InvitationCreate, council: CouncilDep, session: SessionDep, principal: Organiser
) -> CouncilParticipant:
    """Invitees are seated before any draw."""
    return await councils_service.invite(session, principal, council, body)


@router.get(
    "/councils/{council_id}/participants",
    response_model=Page[ParticipantRead],
    summary="Candidates and participants",
    responses=problems(401, 403, 404),
)
async def list_participants(
    council: CouncilDep, session: SessionDep, principal: Reader, page: Paging, selected: QueryBool | None = None
) -> dict:
    """Everyone who registered or was invited; `selected=true` for the participants."""
    policy.check_read(principal, council.region_path, "council")
    return await paginate(session, councils_service.participants_statement(council, selected), page)


@router.post(
    "/councils/{council_id}/participants/{participant_id}/group-decision",
    response_model=ParticipantRead,
    summary="Confirm or reject a registrant's quota group",
    responses=problems(401, 403, 404, 409, 422),
)
async def decide_group(
    participant_id: uuid.UUID, body: GroupDecision, council: CouncilDep, session: SessionDep, principal: Organiser
) -> CouncilParticipant:
    """A group the roll does not know counts for a quota only once staff confirm it; rejected, it is cleared."""
    return await councils_service.decide_group(session, principal, council, participant_id, body)


@router.post(
    "/councils/{council_id}/selection",
    response_model=SelectionRead,
    summary="Draw the participants (随机抽样、重点配额)",
    responses=problems(401, 403, 404, 409, 422),
)
async def select_participants(
    body: SelectionCreate, council: CouncilDep, session: SessionDep, principal: Organiser
) -> SelectionRead:
    """Invited first, quotas drawn within their groups, the rest drawn from all; the seed is recorded.
    409 `group_claims_pending` while a registrant's claimed group awaits staff."""
    council, chosen, shortfalls = await councils_service.select_participants(session, principal, council, body)
    return SelectionRead(
        council=CouncilRead.model_validate(council),
        seed=council.seed,
        selected=[ParticipantRead.model_validate(p) for p in chosen],
        shortfalls=shortfalls,
    )
