"""Dashboards across years (public: aggregates only, no personal data): JSON, CSV, XLSX, and the board's page."""

import uuid
from datetime import date
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from app.board.pages import parse_id
from app.board.templating import error, render
from app.common.downloads import content_disposition
from app.core import clock
from app.core.db import SessionDep
from app.core.errors import NotFound, Unprocessable, problems
from app.dashboards import charts, rules, service
from app.funds import export
from app.regions.models import Region, RegionLevel
from app.regions.service import get_region

router = APIRouter(prefix="/api/v1", tags=["dashboards"])
board_router = APIRouter(prefix="/board", include_in_schema=False)
MAX_YEARS = 10
Year = Annotated[int | None, Query(ge=2000, le=2100)]


async def _region(session, region_id: uuid.UUID) -> Region:
    try:
        region = await get_region(session, region_id)
    except NotFound:
        region = None
    if region is None or region.level not in (RegionLevel.district, RegionLevel.street):
        raise NotFound("No district or street with that id.", code="region_not_found")
    return region


async def _years(session, region: Region, from_year: int | None, to_year: int | None) -> list[int]:
    """The years asked, or the district's programme years (the last MAX_YEARS)."""
    if from_year is None and to_year is None:
        return (await service.programme_years(session, service.district_of(region)))[-MAX_YEARS:]
    first, last = from_year or to_year, to_year or from_year
    if first > last or last - first >= MAX_YEARS:
        raise Unprocessable(
            f"年度范围须由早到晚，且至多 {MAX_YEARS} 年。from_year must not pass to_year, and at most "
            f"{MAX_YEARS} years are compared.",
            code="year_range_invalid",
        )
    return list(range(first, last + 1))


async def load(
    session, region_id: uuid.UUID, from_year: int | None, to_year: int | None, as_of: date | None = None
) -> dict[str, Any]:
    """The dashboard of a district or street for the years asked."""
    region = await _region(session, region_id)
    years = await _years(session, region, from_year, to_year)
    return await service.dashboard(session, region, years, as_of or clock.today())


@router.get(
    "/public/dashboards/{region_id}",
    summary="Dashboard of a district or street across years",
    responses={200: {"content": {"text/csv": {}, export.XLSX_MEDIA_TYPE: {}}}, **problems(404, 422)},
)
async def dashboard(
    region_id: uuid.UUID,
    session: SessionDep,
    from_year: Year = None,
    to_year: Year = None,
    format: Literal["json", "csv", "xlsx"] = "json",
    table: Annotated[
        Literal["units", "sources"],
        Query(
            description="CSV only: one row per year and region (units) or per year, region and fund "
            "source (sources); XLSX has both sheets"
        ),
    ] = "units",
) -> Any:
    """Turnout, proposals by category and kind, money received, committed, paid and returned per fund source (the
    finance report by fund source's own figures) with the share paid out, satisfaction and grades, objections and
    their outcomes: the region and (a district) each street, per year and side by side. A year without a programme
    is all zeros; default years: the district's programmes."""
    data = await load(session, region_id, from_year, to_year)
    if format == "json":
        return data
    frame = pd.DataFrame.from_records(rules.table_records(data), columns=rules.table_columns())
    sources = pd.DataFrame.from_records(rules.source_records(data), columns=rules.SOURCE_COLUMNS)
    years = [str(y["year"]) for y in data["years"]]
    name = f"dashboard-{data['name']}-{'-'.join(years[:1] + years[-1:])}"
    if format == "csv":
        if table == "sources":
            body = export.csv_bytes(sources, rules.SOURCE_HEADERS.values())
            name = f"{name}-sources"
        else:
            body = export.csv_bytes(frame, rules.MONEY_HEADERS)
        media = export.CSV_MEDIA_TYPE
    else:
        about = {"区域": data["name"], "截至日期": data["as_of"], "年度": "、".join(years) or "无"}
        body = export.xlsx_bytes(
            {"年度看板": frame, "资金来源": sources},
            [*rules.MONEY_HEADERS, *rules.SOURCE_HEADERS.values()],
            about,
            totals_row=False,
        )
        media = export.XLSX_MEDIA_TYPE
    return Response(body, media_type=media, headers={"Content-Disposition": content_disposition(f"{name}.{format}")})


@board_router.get("/dashboards/{region_id}", response_class=HTMLResponse)
async def dashboard_page(
    region_id: str, request: Request, session: SessionDep, from_year: str = "", to_year: str = ""
) -> HTMLResponse:
    """The dashboard as a page: year-on-year table, charts (SVG images with text alternatives), a table per year."""
    first, last = (int(v) if v.isdigit() else None for v in (from_year, to_year))
    try:
        data = await load(session, parse_id(region_id), first, last)
    except NotFound:
        return error(request, 404, "没有找到这个区或街道。")
    except Unprocessable:
        return error(request, 422, f"年度范围须由早到晚，且至多 {MAX_YEARS} 年。")
    query = f"?from_year={first or ''}&to_year={last or ''}" if first or last else ""
    return render(
        request,
        "dashboard.html",
        {"d": data, "query": query, "charts": charts.figures(data), "labels": rules.labels, "grades": rules.GRADES},
    )


@board_router.get("/dashboards/{region_id}/{chart}.svg")
async def dashboard_chart(
    region_id: str, chart: str, session: SessionDep, from_year: str = "", to_year: str = ""
) -> Response:
    """One chart of the page as an SVG image (made by pygal on the server; no script)."""
    if chart not in charts.NAMES:
        raise NotFound("没有这个图表。", code="not_found")
    first, last = (int(v) if v.isdigit() else None for v in (from_year, to_year))
    data = await load(session, parse_id(region_id), first, last)
    return Response(
        charts.render(chart, data), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=300"}
    )
