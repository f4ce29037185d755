"""HTTP for the finance report per project: committed, disbursed and spent, and the mismatch list."""

import uuid
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query, Response

from app.auth.deps import require_roles_then_release
from app.auth.principal import Principal
from app.common.downloads import content_disposition
from app.common.strict import QueryBool, QueryDate
from app.core import clock
from app.core.db_replica import ReplicaSessionDep
from app.core.errors import problems
from app.funds import export, policy
from app.funds.export import FILE_RESPONSES
from app.funds.report_scope import report_scope
from app.implementation import report_service
from app.implementation.report_schemas import ProjectMoneyReport, ProjectMoneyRow

router = APIRouter(prefix="/api/v1", tags=["funds"])
Reporter = Annotated[Principal, Depends(require_roles_then_release(*policy.REPORT_ROLES))]

HEADERS = {
    "title": "项目",
    "community": "社区",
    "year": "年度",
    "status": "状态",
    "committed_fen": "已承诺（元）",
    "disbursed_fen": "已拨付（元）",
    "spent_fen": "已支出（元）",
    "difference_fen": "拨付减支出（元）",
    "committed_gross_fen": "承诺合计（含调增，元）",
    "returned_fen": "已退回（元）",
}
AMOUNTS = [
    HEADERS[k]
    for k in ("committed_fen", "disbursed_fen", "spent_fen", "difference_fen", "committed_gross_fen", "returned_fen")
]


def _row(row: report_service.ProjectRow) -> ProjectMoneyRow:
    return ProjectMoneyRow(**vars(row), difference_fen=row.difference_fen, ended=row.ended)


def _frame(rows: list[report_service.ProjectRow]) -> pd.DataFrame:
    records = [
        {h: (export.yuan(getattr(r, k)) if h in AMOUNTS else getattr(r, k)) for k, h in HEADERS.items()} for r in rows
    ]
    return pd.DataFrame.from_records(records, columns=list(HEADERS.values()))


@router.get(
    "/funds/reports/projects",
    response_model=ProjectMoneyReport,
    summary="Finance report per project: disbursed and spent, and mismatches",
    responses={**FILE_RESPONSES, **problems(401, 403, 404, 422)},
)
async def project_money(
    session: ReplicaSessionDep,
    principal: Reporter,
    region_id: Annotated[uuid.UUID | None, Query(description="district, street or community; default: yours")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    as_of: Annotated[QueryDate | None, Query(description="default today (Asia/Shanghai)")] = None,
    ended_only: Annotated[
        QueryBool, Query(description="list as mismatches only closed or terminated projects")
    ] = False,
    format: Literal["json", "csv", "xlsx"] = "json",
):
    """Every committed project in scope; mismatches are those whose invoiced spending differs from what was paid."""
    scope = await report_scope(session, principal, region_id)
    as_of = as_of or clock.today()
    rows = await report_service.project_rows(session, scope_path=scope, as_of=as_of, year=year)
    odd = report_service.mismatches(rows, ended_only=ended_only)
    if format == "json":
        return ProjectMoneyReport(
            as_of=as_of,
            region_id=region_id,
            year=year,
            ended_only=ended_only,
            rows=[_row(r) for r in rows],
            mismatches=[_row(r) for r in odd],
        )
    name = f"finance-projects-{as_of.isoformat()}.{format}"
    if format == "csv":
        body, media = export.csv_bytes(_frame(rows), AMOUNTS), export.CSV_MEDIA_TYPE
    else:
        about = {
            "截至日期": as_of.isoformat(),
            "年度": str(year) if year else "全部",
            "不一致": "已结项或终止的项目" if ended_only else "全部项目",
        }
        body = export.xlsx_bytes(
            {"项目资金": _frame(rows), "拨付与支出不一致": _frame(odd)}, AMOUNTS, about, totals_row=False
        )
        media = export.XLSX_MEDIA_TYPE
    return Response(body, media_type=media, headers={"Content-Disposition": content_disposition(name)})
