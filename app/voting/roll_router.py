"""HTTP for a community's voter roll (居民名册): import, add, list (phones masked), remove."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile, status

from app.auth.deps import require_roles
from app.auth.principal import Principal
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.common.strict import ParamText, QueryBool
from app.core.db import SessionDep
from app.core.errors import problems
from app.voting import policy, roll_service
from app.voting.models import VoterRollEntry
from app.voting.schemas import RollEntryCreate, RollEntryRead, RollEntryRemove, RollImportResult

router = APIRouter(prefix="/api/v1", tags=["voter roll"])

Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]
Organiser = Annotated[Principal, Depends(require_roles(*policy.ORGANISER_ROLES))]
Paging = Annotated[PageParams, Depends(page_params)]


@router.post(
    "/communities/{community_id}/voter-roll/import",
    response_model=RollImportResult,
    summary="Import the community's voter roll from CSV",
    responses=problems(401, 403, 404, 413, 422),
)
async def import_roll(
    community_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Organiser,
    file: Annotated[
        UploadFile,
        File(
            description="CSV, UTF-8 or GB18030/GBK. Columns: phone/手机号 and name/姓名 "
            "(required), subunit/子单元 (a sub-unit's name or code), "
            "household/户号 (for 一户一票)"
        ),
    ],
) -> dict:
    """Every line is checked first; any bad line is reported by number and nothing is imported. Phones already
    on the roll are left unchanged; phones taken off earlier are put back."""
    community = await roll_service.community_for(session, principal, community_id, organise=True)
    return await roll_service.import_roll(session, request.app.state.settings, principal, community, await file.read())


@router.post(
    "/communities/{community_id}/voter-roll",
    status_code=status.HTTP_201_CREATED,
    response_model=RollEntryRead,
    summary="Add a resident to the voter roll",
    responses=problems(401, 403, 404, 409, 422),
)
async def add_entry(
    community_id: uuid.UUID, body: RollEntryCreate, request: Request, session: SessionDep, principal: Organiser
) -> VoterRollEntry:
    """409 already_on_roll when the phone is on it; a phone taken off earlier is put back."""
    community = await roll_service.community_for(session, principal, community_id, organise=True)
    return await roll_service.add_entry(
        session, request.app.state.settings, principal, community, body.phone, body.name, body.unit_id, body.household
    )


ROLL_QUERY = "name fragment or the last four digits of the phone (a full phone: 422 phone_search_refused)"


@router.get(
    "/communities/{community_id}/voter-roll",
    response_model=Page[RollEntryRead],
    summary="The community's voter roll",
    responses=problems(401, 403, 404, 422),
)
async def list_entries(
    community_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    page: Paging,
    q: Annotated[ParamText | None, Query(max_length=50, description=ROLL_QUERY)] = None,
    include_removed: QueryBool = False,
) -> dict:
    """By name; phones are only ever shown masked (138****1234)."""
    community = await roll_service.community_for(session, principal, community_id, organise=False)
    stmt = roll_service.list_statement(community.id, q, include_removed)
    return await paginate(session, stmt, page)


@router.post(
    "/voter-roll/{entry_id}/removal",
    response_model=RollEntryRead,
    summary="Take a resident off the voter roll",
    responses=problems(401, 403, 404, 409, 422),
)
async def remove_entry(
    entry_id: uuid.UUID, body: RollEntryRemove, session: SessionDep, principal: Organiser
) -> VoterRollEntry:
    """With a reason, audited; ballots they already cast stay counted."""
    entry = await roll_service.get_entry(session, principal, entry_id, organise=True)
    return await roll_service.remove_entry(session, principal, entry, body.reason)
