"""HTTP for finance reports (staff, by region) and the public finance summary of a community (no login)."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from app.auth.deps import require_roles_then_release
from app.auth.principal import Principal
from app.common.downloads import content_disposition
from app.common.strict import QueryDate
from app.core import clock
from app.core.db_replica import ReplicaSessionDep
from app.core.errors import problems
from app.funds import export, policy, public_service, reports_service
from app.funds.export import FILE_RESPONSES
from app.funds.report_scope import report_scope
from app.funds.reports_schemas import FinanceReport, PublicFinanceSummary, ReportRow

router = APIRouter(prefix="/api/v1", tags=["funds"])

Reporter = Annotated[Principal, Depends(require_roles_then_release(*policy.REPORT_ROLES))]


def _row(row: reports_service.Row) -> ReportRow:
    return ReportRow(key=row.key, label=row.label, **row.figures, remaining_fen=row.remaining_fen)


@router.get(
    "/funds/reports",
    response_model=FinanceReport,
    summary="Finance report as of a date",
    responses={**FILE_RESPONSES, **problems(401, 403, 404, 422)},
)
async def finance_report(
    session: ReplicaSessionDep,
    principal: Reporter,
    group_by: reports_service.GroupBy = reports_service.GroupBy.street,
    region_id: Annotated[uuid.UUID | None, Query(description="district, street or community; default: yours")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    as_of: Annotated[
        QueryDate | None, Query(description="entries dated up to this day; default today (Asia/Shanghai)")
    ] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
):
    """Funds in, committed, disbursed, returned, transferred out and remaining; a street's user sees their street."""
    scope = await report_scope(session, principal, region_id)
    as_of = as_of or clock.today()
    report = await reports_service.finance_report(session, group_by, scope_path=scope, as_of=as_of, year=year)
    if format == "json":
        return FinanceReport(
            group_by=group_by,
            as_of=as_of,
            region_id=region_id,
            year=year,
            rows=[_row(r) for r in report.rows],
            totals=_row(report.totals),
        )
    name = f"finance-{group_by.value}-{as_of.isoformat()}.{format}"
    body, media = (
        (export.to_csv(report), export.CSV_MEDIA_TYPE)
        if format == "csv"
        else (export.to_xlsx(report), export.XLSX_MEDIA_TYPE)
    )
    return Response(body, media_type=media, headers={"Content-Disposition": content_disposition(name)})


@router.get(
    "/public/communities/{community_id}/finances",
    response_model=PublicFinanceSummary,
    summary="Public finance summary of a community (居务公开)",
    responses=problems(404),
)
async def public_finances(community_id: uuid.UUID, session: ReplicaSessionDep) -> dict:
    """No login: where the money came from, what it was committed to, what was paid. Private payers unnamed."""
    return await public_service.community_summary(session, community_id)
