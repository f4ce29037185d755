"""HTTP for annual programmes and pilots: parse, authorise, call the service, shape the response."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from app.auth.deps import require_roles
from app.auth.principal import Principal
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.programmes import policy, service
from app.programmes.models import Pilot, Programme, ProgrammeStatus
from app.programmes.schemas import (
    CloseResult,
    OpeningCheck,
    PilotCreate,
    PilotRead,
    ProgrammeCreate,
    ProgrammeRead,
    ProgrammeUpdate,
    StreetCheck,
    YearEndLine,
)

router = APIRouter(prefix="/api/v1", tags=["programmes"])

Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]
Manager = Annotated[Principal, Depends(require_roles(*policy.MANAGER_ROLES))]
Designator = Annotated[Principal, Depends(require_roles(*policy.DESIGNATOR_ROLES))]


async def valid_programme(programme_id: uuid.UUID, session: SessionDep) -> Programme:
    """The programme named in the path, or 404."""
    return await service.get_programme(session, programme_id)


ProgrammeDep = Annotated[Programme, Depends(valid_programme)]


@router.post(
    "/programmes",
    status_code=status.HTTP_201_CREATED,
    response_model=ProgrammeRead,
    summary="Create a district's annual programme (draft)",
    responses=problems(401, 403, 409, 422),
)
async def create_programme(body: ProgrammeCreate, session: SessionDep, principal: Manager) -> Programme:
    """A draft programme for the caller's district; rules default to the seeds' values."""
    return await service.create_programme(session, principal, body)


@router.get("/programmes", response_model=Page[ProgrammeRead], summary="List programmes", responses=problems(401, 403))
async def list_programmes(
    session: SessionDep,
    principal: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    district_id: uuid.UUID | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status_: Annotated[ProgrammeStatus | None, Query(alias="status")] = None,
) -> dict:
    """Programmes of the caller's district (admins: all)."""
    return await paginate(session, service.list_programmes_statement(principal, district_id, year, status_), page)


@router.get(
    "/programmes/{programme_id}",
    response_model=ProgrammeRead,
    summary="Read a programme",
    responses=problems(401, 403, 404),
)
async def read_programme(programme: ProgrammeDep, principal: Reader) -> Programme:
    """One programme with its rules; 404 outside the caller's district."""
    policy.check_read(principal, programme.region_path, "programme")
    return programme


@router.patch(
    "/programmes/{programme_id}",
    response_model=ProgrammeRead,
    summary="Change a draft programme",
    responses=problems(401, 403, 404, 409, 422),
)
async def update_programme(
    body: ProgrammeUpdate, programme: ProgrammeDep, session: SessionDep, principal: Manager
) -> Programme:
    """Name, period or rules of a draft; 409 once the programme has opened (rules are frozen)."""
    return await service.update_programme(session, principal, programme, body)


@router.get(
    "/programmes/{programme_id}/opening-check",
    response_model=OpeningCheck,
    summary="Which streets fall short of the pilot rule",
    responses=problems(401, 403, 404),
)
async def opening_check(programme: ProgrammeDep, session: SessionDep, principal: Reader) -> OpeningCheck:
    """The pilot rule (≤ 15 communities → ≥ 1 pilot, ≥ 16 → ≥ 2) street by street."""
    policy.check_read(principal, programme.region_path, "programme")
    short = await service.opening_check(session, programme)
    return OpeningCheck(ok=not short, shortfalls=[StreetCheck.model_validate(s, from_attributes=True) for s in short])


@router.post(
    "/programmes/{programme_id}/open",
    response_model=ProgrammeRead,
    summary="Open the programme",
    responses=problems(401, 403, 404, 409),
)
async def open_programme(programme: ProgrammeDep, session: SessionDep, principal: Manager) -> Programme:
    """Draft → open; 409 naming every street short of pilots. Rules are frozen from here on."""
    return await service.open_programme(session, principal, programme)


@router.post(
    "/programmes/{programme_id}/close",
    response_model=CloseResult,
    summary="Close the programme and run year end",
    responses=problems(401, 403, 404, 409),
)
async def close_programme(programme: ProgrammeDep, session: SessionDep, principal: Manager) -> CloseResult:
    """Open → closed; each pilot's uncommitted money is carried over or swept back, as the rules say."""
    lines = await service.close_programme(session, principal, programme)
    return CloseResult(
        programme=ProgrammeRead.model_validate(programme), year_end=[YearEndLine.model_validate(line) for line in lines]
    )


@router.post(
    "/programmes/{programme_id}/year-end",
    response_model=list[YearEndLine],
    summary="Run year end again on a closed programme",
    responses=problems(401, 403, 404, 409),
)
async def rerun_year_end(programme: ProgrammeDep, session: SessionDep, principal: Manager) -> list[dict]:
    """Carries over or sweeps money projects gave back after the programme closed; empty when none."""
    return await service.rerun_year_end(session, principal, programme)


@router.post(
    "/programmes/{programme_id}/pilots",
    status_code=status.HTTP_201_CREATED,
    response_model=PilotRead,
    summary="Designate a pilot community",
    responses=problems(401, 403, 404, 409, 422),
)
async def designate_pilot(
    body: PilotCreate, programme: ProgrammeDep, session: SessionDep, principal: Designator
) -> Pilot:
    """A street administrator designates a community of their street; the district subsidy source opens."""
    return await service.designate_pilot(session, principal, programme, body)


@router.get(
    "/programmes/{programme_id}/pilots",
    response_model=Page[PilotRead],
    summary="List pilots",
    responses=problems(401, 403, 404),
)
async def list_pilots(
    programme: ProgrammeDep, session: SessionDep, principal: Reader, page: Annotated[PageParams, Depends(page_params)]
) -> dict:
    """The programme's pilots within the caller's region."""
    policy.check_read(principal, programme.region_path, "programme")
    return await paginate(session, service.list_pilots_statement(principal, programme), page)


@router.get("/pilots/{pilot_id}", response_model=PilotRead, summary="Read a pilot", responses=problems(401, 403, 404))
async def read_pilot(pilot_id: uuid.UUID, session: SessionDep, principal: Reader) -> Pilot:
    """One pilot; 404 outside the caller's region."""
    pilot = await service.get_pilot(session, pilot_id)
    policy.check_read(principal, pilot.region_path, "pilot")
    return pilot
