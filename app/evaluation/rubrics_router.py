"""HTTP for rubrics: the district admin creates them and appends versions; district staff and supervisors read."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.core.db import SessionDep
from app.core.errors import problems
from app.evaluation import rubric_service
from app.evaluation.deps import Manager, Overseer
from app.evaluation.schemas import RubricCreate, RubricRead, RubricVersionCreate

router = APIRouter(prefix="/api/v1/evaluation/rubrics", tags=["evaluation"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RubricRead,
    summary="Create a rubric",
    responses=problems(401, 403, 422),
)
async def create_rubric(body: RubricCreate, session: SessionDep, principal: Manager) -> dict:
    """Criteria with their maximum points, adding up to 100 (422 rubric_total_not_100); this is version 1."""
    return await rubric_service.view(session, await rubric_service.create_rubric(session, principal, body))


@router.get("", response_model=Page[RubricRead], summary="Rubrics of my district", responses=problems(401, 403, 422))
async def list_rubrics(
    session: SessionDep, principal: Overseer, page: Paging, district_id: uuid.UUID | None = None
) -> dict:
    """Each with every version, newest first."""
    result = await paginate(session, rubric_service.list_statement(principal, district_id), page)
    result["items"] = [await rubric_service.view(session, r) for r in result["items"]]
    return result


@router.get(
    "/{rubric_id}",
    response_model=RubricRead,
    summary="A rubric and its versions",
    responses=problems(401, 403, 404, 422),
)
async def read_rubric(rubric_id: uuid.UUID, session: SessionDep, principal: Overseer) -> dict:
    """404 outside the caller's district."""
    return await rubric_service.view(session, await rubric_service.rubric_for(session, principal, rubric_id))


@router.post(
    "/{rubric_id}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=RubricRead,
    summary="Add a version of a rubric",
    responses=problems(401, 403, 404, 422),
)
async def add_version(rubric_id: uuid.UUID, body: RubricVersionCreate, session: SessionDep, principal: Manager) -> dict:
    """Versions are never edited: campaigns keep the version they started with."""
    return await rubric_service.view(session, await rubric_service.add_version(session, principal, rubric_id, body))
