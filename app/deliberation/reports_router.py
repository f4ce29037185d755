"""HTTP for deliberation reports."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.auth.deps import require_roles
from app.auth.principal import Principal
from app.common.pagination import page_params
from app.common.schemas import PageParams
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import Unprocessable, problems
from app.deliberation import policy, reports_service
from app.deliberation.schemas import MeetingGapReport

router = APIRouter(prefix="/api/v1", tags=["deliberation"])
Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]


@router.get(
    "/deliberation/reports/meeting-gaps",
    response_model=MeetingGapReport,
    summary="Communities with no representative meeting in a quarter",
    responses=problems(401, 403, 422),
)
async def meeting_gaps(
    session: SessionDep,
    principal: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
) -> dict:
    """Default: the last complete quarter (Asia/Shanghai). Only closed, quorate meetings count."""
    if (year is None) != (quarter is None):
        raise Unprocessable("Give both year and quarter, or neither.", code="year_and_quarter")
    if year is None:
        year, quarter = reports_service.default_quarter(clock.today())
    return await reports_service.meeting_gaps(session, principal, year, quarter, page)
