"""Public deliberation endpoints (居务公开): meeting announcements and decisions, council announcements."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.deliberation import councils_service, public_service
from app.deliberation.council_schemas import PublicCouncil
from app.deliberation.schemas import PublicMeeting

router = APIRouter(prefix="/api/v1/public", tags=["deliberation"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get(
    "/meetings",
    response_model=Page[PublicMeeting],
    summary="Public list of representative meetings",
    responses=problems(422),
)
async def public_meetings(session: SessionDep, page: Paging, community_id: uuid.UUID | None = None) -> dict:
    """Announcements (time, place, host, participants, form) and results, newest first; no login."""
    return await paginate(session, public_service.meetings_statement(community_id), page)


@router.get(
    "/meetings/{meeting_id}",
    response_model=PublicMeeting,
    summary="Public view of a meeting",
    responses=problems(404, 422),
)
async def public_meeting(meeting_id: uuid.UUID, session: SessionDep) -> dict:
    """The announcement and, item by item, the decision and its tally (never individual votes)."""
    return await public_service.public_meeting(session, meeting_id)


@router.get(
    "/councils",
    response_model=Page[PublicCouncil],
    summary="Public list of deliberation councils",
    responses=problems(422),
)
async def public_councils(session: SessionDep, page: Paging, community_id: uuid.UUID | None = None) -> dict:
    """Council announcements residents may register for; no participant names."""
    return await paginate(session, councils_service.public_statement(community_id), page)
