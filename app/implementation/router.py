"""HTTP for implementation: start a confirmed project, milestones reached, progress reports, overdue list, public."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import FileResponse

from app.auth.deps import require_roles
from app.auth.principal import Principal
from app.common import filetypes
from app.common.downloads import content_disposition
from app.common.pagination import page_params
from app.common.schemas import Page, PageParams
from app.common.strict import QueryDate
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import NotFound, problems
from app.implementation import spending_service, stages_service
from app.implementation.schemas import (
    ExpenditureCreate,
    ExpenditureRead,
    ImplementationRead,
    ImplementationStart,
    MilestoneDone,
    OverdueRead,
    ProgressCreate,
    ProgressRead,
    SpendingRead,
)
from app.proposals.attachments_service import storage_path
from app.voting import policy

router = APIRouter(prefix="/api/v1", tags=["implementation"])
Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]
Organiser = Annotated[Principal, Depends(require_roles(*policy.ORGANISER_ROLES))]
Paging = Annotated[PageParams, Depends(page_params)]
WRITE = problems(401, 403, 404, 409, 422)


@router.post(
    "/projects/{proposal_id}/implementation",
    status_code=status.HTTP_201_CREATED,
    response_model=ImplementationRead,
    summary="Start a confirmed project (实施)",
    responses=WRITE,
)
async def start(proposal_id: uuid.UUID, body: ImplementationStart, session: SessionDep, principal: Organiser) -> dict:
    """The implementer (community, social organisation or residents' team) and the milestone plan."""
    return await stages_service.view(session, await stages_service.start(session, principal, proposal_id, body))


@router.get(
    "/projects/{proposal_id}/implementation",
    response_model=ImplementationRead,
    summary="A project under way",
    responses=problems(401, 403, 404, 422),
)
async def read(proposal_id: uuid.UUID, session: SessionDep, principal: Reader) -> dict:
    """Implementer, milestones (overdue flagged) and progress."""
    return await stages_service.view(
        session, await stages_service.implementation_for(session, principal, proposal_id, organise=False)
    )


@router.post(
    "/milestones/{milestone_id}/done", response_model=ImplementationRead, summary="A milestone reached", responses=WRITE
)
async def milestone_done(
    milestone_id: uuid.UUID, body: MilestoneDone, session: SessionDep, principal: Organiser
) -> dict:
    """Once per milestone; the date lies between the start and today."""
    return await stages_service.view(
        session, await stages_service.milestone_done(session, principal, milestone_id, body.done_on)
    )


@router.post(
    "/projects/{proposal_id}/progress",
    status_code=status.HTTP_201_CREATED,
    response_model=ProgressRead,
    summary="Report progress",
    responses=WRITE,
)
async def add_progress(
    proposal_id: uuid.UUID, body: ProgressCreate, session: SessionDep, principal: Organiser
) -> object:
    """Text and photos (image attachments of the project); published on the notice board at once."""
    impl = await stages_service.implementation_for(session, principal, proposal_id, organise=True)
    return await stages_service.add_progress(session, principal, impl, body)


@router.get(
    "/implementation/overdue-milestones",
    response_model=Page[OverdueRead],
    summary="Overdue milestones in my region",
    responses=problems(401, 403, 422),
)
async def overdue(
    session: SessionDep,
    principal: Reader,
    page: Paging,
    as_of: Annotated[QueryDate | None, Query(description="default: today (Asia/Shanghai)")] = None,
) -> dict:
    """Open milestones past their due date, most overdue first."""
    return await stages_service.overdue_page(session, principal, as_of or clock.today(), page)


@router.get(
    "/public/projects/{proposal_id}/progress",
    response_model=ImplementationRead,
    summary="Public progress of a project",
    responses=problems(404, 422),
)
async def public_progress(proposal_id: uuid.UUID, session: SessionDep) -> dict:
    """Implementer, milestones and progress reports (落实情况公开); no login."""
    return await stages_service.view(session, await stages_service.get_implementation(session, proposal_id))


@router.get(
    "/public/progress-photos/{attachment_id}",
    response_class=FileResponse,
    summary="A photo shown in a progress report",
    responses=problems(404, 422),
)
async def public_photo(attachment_id: uuid.UUID, request: Request, session: SessionDep) -> FileResponse:
    """Only photos some progress report shows; everything else attached to a proposal stays private."""
    attachment = await stages_service.public_photo(session, attachment_id)
    path = storage_path(request.app.state.settings, attachment.storage_name)
    if not path.is_file():
        raise NotFound("The photo's file is missing from storage.", code="photo_file_missing")
    # Shown in pages, so inline; named by its id (the uploader's file name stays private) and its checked type.
    name = filetypes.download_name(f"progress-photo-{attachment.id}", attachment.content_type)
    return FileResponse(
        path,
        media_type=attachment.content_type,
        headers={"Content-Disposition": content_disposition(name, inline=True)},
    )


@router.post(
    "/projects/{proposal_id}/expenditures",
    status_code=status.HTTP_201_CREATED,
    response_model=ExpenditureRead,
    summary="Record a payment by the implementer",
    responses=WRITE,
)
async def record_expenditure(
    proposal_id: uuid.UUID, body: ExpenditureCreate, session: SessionDep, principal: Organiser
) -> object:
    """Payee, amount, invoice number (required, once per project), date and budget line; 409 over_budget when
    spending would pass the confirmed budget."""
    impl = await stages_service.implementation_for(session, principal, proposal_id, organise=True)
    return await spending_service.record_expenditure(session, principal, impl, body)


@router.get(
    "/projects/{proposal_id}/expenditures",
    response_model=SpendingRead,
    summary="A project's spending",
    responses=problems(401, 403, 404, 422),
)
async def project_spending(proposal_id: uuid.UUID, session: SessionDep, principal: Reader) -> dict:
    """Budget, spent, remaining and every payment."""
    impl = await stages_service.implementation_for(session, principal, proposal_id, organise=False)
    return await spending_service.spending(session, impl)


@router.get(
    "/public/projects/{proposal_id}/expenditures",
    response_model=SpendingRead,
    summary="Public spending of a project",
    responses=problems(404, 422),
)
async def public_spending(proposal_id: uuid.UUID, session: SessionDep) -> dict:
    """How the money was used (资金使用情况公开); payees are the businesses paid."""
    return await spending_service.spending(session, await stages_service.get_implementation(session, proposal_id))
