"""HTTP for self-inspection reports (自查报告): the street admin files and amends; the district reads them all."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from app.common.pagination import page_params
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.evaluation import self_inspection_service as service
from app.evaluation.deps import InspectionReader, StreetAdmin
from app.evaluation.schemas import SelfInspectionRead, SelfInspectionWrite

router = APIRouter(prefix="/api/v1/evaluation/campaigns/{campaign_id}", tags=["evaluation"])
Paging = Annotated[PageParams, Depends(page_params)]
REPORT_PATH = "/streets/{street_id}/self-inspection"


@router.put(
    REPORT_PATH,
    response_model=SelfInspectionRead,
    summary="File or amend my street's report",
    responses={201: {"description": "filed", "model": SelfInspectionRead}, **problems(401, 403, 404, 409, 422)},
)
async def file_report(
    campaign_id: uuid.UUID,
    street_id: uuid.UUID,
    body: SelfInspectionWrite,
    session: SessionDep,
    principal: StreetAdmin,
    response: Response,
) -> dict:
    """201 when filed, 200 when amended (the earlier version is kept); until the campaign's deadline
    (409 campaign_ended). Only the street's own admin (403 not_street_admin)."""
    report, created = await service.file(session, principal, campaign_id, street_id, body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return (await service.views(session, [report]))[0]


@router.get(
    REPORT_PATH,
    response_model=SelfInspectionRead,
    summary="A street's self-inspection report",
    responses=problems(401, 403, 404, 422),
)
async def read_report(
    campaign_id: uuid.UUID, street_id: uuid.UUID, session: SessionDep, principal: InspectionReader
) -> dict:
    """The district reads every street's; a street admin only their own (404 otherwise)."""
    report = await service.read(session, principal, campaign_id, street_id)
    return (await service.views(session, [report]))[0]


@router.get(
    "/self-inspections",
    response_model=Page[SelfInspectionRead],
    summary="Self-inspection reports filed",
    responses=problems(401, 403, 404, 422),
)
async def list_reports(campaign_id: uuid.UUID, session: SessionDep, principal: InspectionReader, page: Paging) -> dict:
    """Every street's for the district; a street admin sees their own."""
    return await service.page(session, principal, campaign_id, page)
