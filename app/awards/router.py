"""HTTP for award runs: compute, read, verify, approve, publish under notice, answer objections, finalise, report."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Response, status

from app.auth.deps import require_roles, require_scope
from app.auth.models import Role
from app.auth.principal import Principal
from app.auth.scopes import Scope
from app.awards import reports, rules, run_rules, service, subsidies_service
from app.awards.models import AwardRun
from app.awards.schemas import AwardPublish, AwardRunCreate, AwardRunRead, SubsidyPayment
from app.common.downloads import content_disposition
from app.core.db import SessionDep
from app.core.errors import Conflict, problems
from app.evaluation import policy
from app.evaluation.campaign_service import get_campaign
from app.funds import export
from app.funds.export import FILE_RESPONSES
from app.funds.schemas import LedgerEntryRead
from app.notices import objections_service
from app.notices import service as notices
from app.notices.schemas import NoticeRead, ObjectionDecision
from app.notices.views import notice_view

router = APIRouter(prefix="/api/v1", tags=["awards"])
Manager = Annotated[Principal, Depends(require_roles(*policy.MANAGER_ROLES))]
Overseer = Annotated[Principal, Depends(require_roles(*policy.OVERSEER_ROLES))]
Payer = Annotated[Principal, Depends(require_roles(Role.finance))]
ReportReader = Annotated[Principal, Depends(require_roles(*policy.AWARD_REPORT_ROLES))]
WRITE = problems(401, 403, 404, 409, 422)
READ = problems(401, 403, 404, 422)


@router.post(
    "/evaluation/campaigns/{campaign_id}/award-runs",
    status_code=status.HTTP_201_CREATED,
    response_model=AwardRunRead,
    summary="Compute a campaign's awards",
    responses=WRITE,
)
async def create_run(campaign_id: uuid.UUID, body: AwardRunCreate, session: SessionDep, principal: Manager) -> object:
    """The district admin, once the campaign's window has closed (409 campaign_window_open before): trimmed
    means by source, composite, grade and rank for every project; 优秀项目, 示范社区, 社区工作法 and 以奖代补
    within the fund (422 award_fund_too_small when the fund cannot pay one prize). Records the inputs' digest."""
    return await service.create_run(session, principal, campaign_id, body)


@router.get(
    "/evaluation/campaigns/{campaign_id}/award-runs",
    response_model=list[AwardRunRead],
    summary="A campaign's award runs",
    responses=READ,
)
async def list_runs(campaign_id: uuid.UUID, session: SessionDep, principal: Overseer) -> list:
    """Every run, first first."""
    campaign = await get_campaign(session, campaign_id)
    policy.check_oversee(principal, campaign.region_path)
    runs = await service.runs_of(session, campaign.id)
    return [await _with_withdrawals(session, run) for run in runs]


async def _with_withdrawals(session: SessionDep, run: AwardRun) -> AwardRunRead:
    withdrawn = {k: sorted(v) for k, v in (await service.withdrawn_of(session, run)).items()}
    return AwardRunRead.model_validate(run).model_copy(update={"withdrawn": withdrawn})


@router.get("/award-runs/{run_id}", response_model=AwardRunRead, summary="An award run", responses=READ)
async def read_run(run_id: uuid.UUID, session: SessionDep, principal: Overseer) -> object:
    """Rules, digests and outputs as computed, and the awards an upheld objection withdrew since."""
    return await _with_withdrawals(session, (await service.run_for(session, principal, run_id, manage=False))[0])


@router.get("/award-runs/{run_id}/inputs", summary="What a run computed from", responses=READ)
async def run_inputs(run_id: uuid.UUID, session: SessionDep, principal: Overseer) -> dict[str, Any]:
    """Projects, submitted scores (evaluators by assignment key), ratings (no raters) and nominations, with the
    rules: hash {"inputs": …, "config": …} as sorted, compact JSON to get inputs_digest."""
    run = (await service.run_for(session, principal, run_id, manage=False))[0]
    return {"inputs": run.inputs, "config": run.config, "inputs_digest": run.inputs_digest}


@router.get("/award-runs/{run_id}/verification", summary="Recompute a run and compare", responses=READ)
async def verify(run_id: uuid.UUID, session: SessionDep, principal: Overseer) -> dict[str, Any]:
    """Recomputes the outputs from the recorded inputs and rules; identical means byte-identical."""
    run = (await service.run_for(session, principal, run_id, manage=False))[0]
    return {"identical": run_rules.recheck(run), "outputs_digest": run.outputs_digest, "rule_version": run.rule_version}


@router.post(
    "/award-runs/{run_id}/approval", response_model=AwardRunRead, summary="Approve a run (审定)", responses=WRITE
)
async def approve(run_id: uuid.UUID, session: SessionDep, principal: Manager) -> object:
    """One run per campaign goes forward (409 award_run_exists)."""
    return await service.approve(session, principal, run_id)


@router.post("/award-runs/{run_id}/discard", response_model=AwardRunRead, summary="Set a run aside", responses=WRITE)
async def discard(run_id: uuid.UUID, session: SessionDep, principal: Manager) -> object:
    """A computed or approved run that will not go forward."""
    return await service.discard(session, principal, run_id)


@router.post(
    "/award-runs/{run_id}/publication",
    response_model=AwardRunRead,
    summary="Publish an approved run under notice (公示)",
    responses=WRITE,
)
async def publish(run_id: uuid.UUID, body: AwardPublish, session: SessionDep, principal: Manager) -> object:
    """A public notice of the district with one item per award: each awarded project (优秀项目, 以奖代补), each
    示范社区 and each 社区工作法; anyone may object to any of them (POST /public/notices/{id}/objections) during
    the programme's notice period."""
    return await service.publish(session, principal, run_id, body)


@router.post(
    "/award-runs/{run_id}/objections/{objection_id}/decision",
    response_model=NoticeRead,
    summary="Answer an objection to an award",
    responses=WRITE,
)
async def decide_objection(
    run_id: uuid.UUID, objection_id: uuid.UUID, body: ObjectionDecision, session: SessionDep, principal: Manager
) -> dict:
    """The district admin answers: dismissed with a reply, or upheld with `action: withdraw`, which withdraws that
    award only (409 award_already_withdrawn if another objection withdrew it; 422 award_objection_action for an
    action other than withdraw)."""
    run, _ = await service.run_for(session, principal, run_id, manage=True)
    objection = await objections_service.by_id(session, objection_id)
    if run.notice_id is None or objection.notice_id != run.notice_id:
        raise Conflict("该异议不是针对本次评奖公示的。", code="objection_not_in_run")
    notice = await notices.get_notice(session, run.notice_id, lock="update")
    await objections_service.decide(
        session, principal, objection, notice, body.outcome, body.reply, body.ground, body.action
    )
    return await notice_view(session, notice)


@router.post("/award-runs/{run_id}/finalisation", summary="Make the award list final", responses=WRITE)
async def finalise(run_id: uuid.UUID, session: SessionDep, principal: Manager) -> dict[str, Any]:
    """After the notice period with no objection open; the final list leaves out awards an objection withdrew, and
    each remaining 以奖代补 is received into the awarded community's pilot as an earmarked fund source
    (以奖代补奖励资金) and committed against it (409 award_fund_exceeded beyond the run's fund; the ledger's
    programme_state / date_outside_programme when the programme no longer takes commitments)."""
    result = await service.finalise(session, principal, run_id)
    return {
        "run": AwardRunRead.model_validate(result["run"]),
        "withdrawn": result["withdrawn"],
        "withdrawn_awards": result["withdrawn_awards"],
        "subsidies": result["subsidies"],
    }


@router.post(
    "/award-runs/{run_id}/subsidies/{proposal_id}/payments",
    status_code=status.HTTP_201_CREATED,
    response_model=LedgerEntryRead,
    summary="Pay an award's 以奖代补",
    responses=WRITE,
)
async def pay_subsidy(
    run_id: uuid.UUID, proposal_id: uuid.UUID, body: SubsidyPayment, session: SessionDep, principal: Payer
) -> object:
    """Finance pays a final award's subsidy from its commitment (default: all that is unpaid); 409 award_run_state
    before the list is final, award_withdrawn for a withdrawn award, over_commitment beyond the subsidy."""
    run, _ = await service.run_for(session, principal, run_id, manage=False, lock="update")
    return await subsidies_service.pay(
        session,
        principal,
        run,
        await service.withdrawn_of(session, run),
        proposal_id,
        body.amount_fen,
        body.entry_date,
        body.document_ref,
    )


@router.get(
    "/award-runs/{run_id}/report",
    summary="Award report: per project, street or campaign",
    responses={**FILE_RESPONSES, **READ},
    dependencies=[Depends(require_scope(Scope.reports_read))],
)
async def report(
    run_id: uuid.UUID,
    session: SessionDep,
    principal: ReportReader,
    level: Literal["project", "street", "campaign"] = "project",
    format: Literal["json", "csv", "xlsx"] = "json",
):
    """Scores by source, trimmed means, composite, grade, rank and award; CSV and XLSX for project and street.
    District admins and supervisors; an assessor's API token with `reports:read` once the run is published, for
    the campaign it is bound to (or, unbound, one its organisation is assigned in)."""
    run, campaign = await service.report_run_for(session, principal, run_id)
    outputs = rules.effective(run.outputs, await service.withdrawn_of(session, run))
    names = await service.region_names(
        session,
        sorted(
            {p["street_id"] for p in run.outputs["projects"]}
            | {p["community_id"] for p in run.outputs["projects"]}
            | {c["community_id"] for c in run.outputs["model_communities"]}
        ),
    )
    rows = reports.project_rows(outputs, names)
    streets = reports.street_rows(rows)
    if level == "campaign":
        return {
            "run_id": run.id,
            "state": run.state,
            "outputs_digest": run.outputs_digest,
            **reports.campaign_summary(outputs, rows, names),
            "streets": streets,
        }
    data, headers = (rows, reports.PROJECT_HEADERS) if level == "project" else (streets, reports.STREET_HEADERS)
    if format == "json":
        return {"run_id": run.id, "state": run.state, "level": level, "rows": data}
    table = reports.frame(data, headers)
    name = f"awards-{campaign.year}-{level}.{format}"
    if format == "csv":
        body, media = export.csv_bytes(table, []), export.CSV_MEDIA_TYPE
    else:
        about = {
            "活动": campaign.title,
            "运行": f"第{run.number}次（{run.state.value}）",
            "输出摘要": run.outputs_digest,
        }
        body, media = export.xlsx_bytes({"评估结果": table}, [], about, totals_row=False), export.XLSX_MEDIA_TYPE
    return Response(body, media_type=media, headers={"Content-Disposition": content_disposition(name)})


@router.get(
    "/award-runs/{run_id}/grade-chart.svg",
    response_class=Response,
    summary="Grades by street (SVG)",
    responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}, **READ},
)
async def grade_chart(run_id: uuid.UUID, session: SessionDep, principal: Overseer) -> Response:
    """For the district report: each street's projects by grade, stacked."""
    run, campaign = await service.run_for(session, principal, run_id, manage=False)
    names = await service.region_names(session, sorted({p["street_id"] for p in run.outputs["projects"]}))
    outputs = rules.effective(run.outputs, await service.withdrawn_of(session, run))
    streets = reports.street_rows(reports.project_rows(outputs, names))
    return Response(
        reports.grade_chart_svg(streets, f"{campaign.year}年度各街道项目评估等级分布"), media_type="image/svg+xml"
    )
