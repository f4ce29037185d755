"""Open data: a district's programme year as one Frictionless Data Package (zip), no login."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.common.downloads import content_disposition
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import problems
from app.opendata import service

router = APIRouter(prefix="/api/v1", tags=["open data"])


@router.get(
    "/public/open-data/{district_id}/{year}.zip",
    summary="A programme year's open data (Data Package)",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}, **problems(404, 422)},
)
async def open_data(
    district_id: uuid.UUID, year: Annotated[int, Path(ge=2000, le=2100)], session: SessionDep
) -> Response:
    """Proposals, meetings, rounds with their .pb files, results with explanations, notices with objections and
    replies (nothing about who objected), the ledger's public view by community, satisfaction and published
    awards: CSV files and a datapackage.json describing every field. A year still under way says so
    (`status: in_progress`) and holds only what is public so far."""
    name, body = await service.build(session, district_id, year, clock.today())
    return Response(body, media_type="application/zip", headers={"Content-Disposition": content_disposition(name)})
