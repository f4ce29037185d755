"""HTTP for the region tree: staff CRUD within their region, a public picker list, CSV import."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile, status
from fastapi.responses import JSONResponse

from app.auth.deps import require_roles
from app.auth.principal import Principal
from app.common.pagination import page_params, paginate
from app.common.schemas import Page, PageParams
from app.common.strict import ParamText, QueryBool
from app.core.db import SessionDep
from app.core.errors import problems
from app.idempotency.deps import IDEMPOTENCY_PROBLEMS, Idempotency
from app.regions import import_service, policy, service
from app.regions.models import Region, RegionLevel
from app.regions.schemas import (
    NAME_MAX,
    ImportResult,
    PublicRegion,
    RegionCreate,
    RegionRead,
    RegionTreeNode,
    RegionUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["regions"])

Reader = Annotated[Principal, Depends(require_roles(*policy.READER_ROLES))]
Writer = Annotated[Principal, Depends(require_roles(*policy.WRITER_ROLES))]
Importer = Annotated[Principal, Depends(require_roles(*policy.IMPORTER_ROLES))]
Paging = Annotated[PageParams, Depends(page_params)]


async def visible_region(region_id: uuid.UUID, session: SessionDep, principal: Reader) -> Region:
    """The node in the reader's subtree, else 404 (outside it looks the same as unknown)."""
    region = await service.get_region(session, region_id)
    policy.check_read(principal, region)
    return region


VisibleRegion = Annotated[Region, Depends(visible_region)]


@router.post(
    "/regions",
    status_code=status.HTTP_201_CREATED,
    response_model=RegionRead,
    summary="Create a region node",
    responses=problems(401, 403, 404, 409, 422, *IDEMPOTENCY_PROBLEMS),
)
async def create_region(body: RegionCreate, session: SessionDep, principal: Writer, idem: Idempotency) -> JSONResponse:
    """Admins create districts; district/street admins create inside their region; community staff add sub-units."""
    region = await service.create_region(session, principal, body)
    return await idem.respond(session, status.HTTP_201_CREATED, RegionRead.model_validate(region))


@router.get("/regions", summary="List region nodes in your region", responses=problems(401, 403, 422))
async def list_regions(
    session: SessionDep,
    principal: Reader,
    paging: Paging,
    level: RegionLevel | None = None,
    parent_id: uuid.UUID | None = None,
    q: Annotated[ParamText | None, Query(max_length=NAME_MAX, description="name contains")] = None,
) -> Page[RegionRead]:
    """A page of the nodes in the caller's subtree (admins: all), filtered."""
    page = await paginate(session, service.list_statement(principal, level, parent_id, q), paging)
    return Page[RegionRead](**{**page, "items": [RegionRead.model_validate(r) for r in page["items"]]})


@router.get("/regions/{region_id}", summary="Read a region node", responses=problems(401, 403, 404, 422))
async def read_region(region: VisibleRegion) -> RegionRead:
    """One node; 404 when unknown or outside the caller's region."""
    return RegionRead.model_validate(region)


@router.get(
    "/regions/{region_id}/tree", summary="A node's subtree, for pickers", responses=problems(401, 403, 404, 422)
)
async def region_tree(
    region: VisibleRegion,
    session: SessionDep,
    max_depth: Annotated[int | None, Query(ge=1, le=6, description="levels below the node; all when omitted")] = None,
) -> RegionTreeNode:
    """The nested subtree; districts and streets carry their community counts."""
    return await service.subtree(session, region, max_depth)


@router.patch(
    "/regions/{region_id}",
    summary="Rename a node or change its code or residential type",
    responses=problems(401, 403, 404, 409, 422),
)
async def update_region(region_id: uuid.UUID, body: RegionUpdate, session: SessionDep, principal: Writer) -> RegionRead:
    """Change name, code or residential_type; level and parent cannot change in this version."""
    region = await service.get_region(session, region_id)
    region = await service.update_region(session, principal, region, body)
    return RegionRead.model_validate(region)


@router.post(
    "/regions/import", summary="Import a district's tree from CSV", responses=problems(401, 403, 409, 413, 422)
)
async def import_regions(
    session: SessionDep,
    principal: Importer,
    file: Annotated[
        UploadFile,
        File(
            description="CSV, UTF-8 (BOM or not) or GB18030/GBK. Columns: "
            "district/区, street/街道, community/社区, "
            "subunit_level/子单元类型, subunit/子单元, "
            "parent_subunit/上级子单元, code/代码"
        ),
    ],
    dry_run: Annotated[QueryBool, Query(description="check and count only; change nothing")] = False,
) -> ImportResult:
    """All lines are checked first; any bad line is reported by number and nothing is imported."""
    data = await file.read()
    return await import_service.import_tree(session, principal, data, file.filename, dry_run)


@router.get("/public/regions", summary="Public list of region nodes (names and levels)", responses=problems(404, 422))
async def public_regions(session: SessionDep, paging: Paging, parent_id: uuid.UUID | None = None) -> Page[PublicRegion]:
    """Children of parent_id, or the districts when omitted; no login, so residents can pick a community."""
    page = await paginate(session, await service.public_statement(session, parent_id), paging)
    return Page[PublicRegion](**{**page, "items": [PublicRegion.model_validate(r) for r in page["items"]]})
