"""Acceptance (验收): representatives inspect, an expert too where the programme asks, residents are surveyed."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.core import clock
from app.core.errors import Unprocessable
from app.implementation import budget_changes_service, rules, standing
from app.implementation.models import Implementation, ImplementationStatus
from app.implementation.review_models import Acceptance, AcceptanceOutcome
from app.implementation.stages_schemas import AcceptanceCreate
from app.programmes.service import pilot_context
from app.voting import policy


async def inspect(
    session: AsyncSession, principal: Principal, impl: Implementation, body: AcceptanceCreate
) -> Acceptance:
    """Record an inspection; below the satisfaction floor, or not passed, the project goes to rectification."""
    policy.check_organise(principal, impl.region_path, "implementation")
    await standing.lock(session, impl)
    standing.require_status(
        impl, ImplementationStatus.in_progress, ImplementationStatus.rectification, code="acceptance_not_open"
    )
    rules_ = (await pilot_context(session, impl.pilot_id)).rules
    if rules_.implementation.acceptance_expert and body.expert is None:
        raise Unprocessable("The programme asks for a third-party expert at acceptance.", code="expert_required")
    if impl.status == ImplementationStatus.rectification and body.rectification_report is None:
        raise Unprocessable(
            "After a rectification, acceptance needs the rectification report (整改报告).",
            code="rectification_report_required",
        )
    if body.held_on > clock.today() or body.held_on < impl.started_on:
        raise Unprocessable("held_on must fall between the start of the project and today.", code="held_on_invalid")
    expert = body.expert
    reasons = rules.acceptance_verdict(
        body.representatives_passed,
        rules_.implementation.acceptance_expert,
        expert.passed if expert else None,
        body.survey.respondents,
        body.survey.satisfied,
        rules_.evaluation.satisfaction_floor_pct,
    )
    latest = await standing.latest_acceptance(session, impl)
    acceptance = Acceptance(
        proposal_id=impl.proposal_id,
        attempt=(latest.attempt if latest else 0) + 1,
        held_on=body.held_on,
        representatives=body.representatives,
        representatives_passed=body.representatives_passed,
        representatives_opinion=body.representatives_opinion,
        expert_name=expert.name if expert else None,
        expert_organisation=expert.organisation if expert else None,
        expert_passed=expert.passed if expert else None,
        expert_opinion=expert.opinion if expert else None,
        survey_respondents=body.survey.respondents,
        survey_satisfied=body.survey.satisfied,
        rectification_report=body.rectification_report,
        outcome=AcceptanceOutcome.rectification if reasons else AcceptanceOutcome.accepted,
        reasons=reasons,
        recorded_by=principal.actor.id,
    )
    session.add(acceptance)
    impl.status = ImplementationStatus.rectification if reasons else ImplementationStatus.accepted
    await session.flush()
    if not reasons:
        await budget_changes_service.lapse_pending(
            session,
            principal.actor,
            impl,
            f"项目已于 {body.held_on.isoformat()} 验收通过，待居民代表会议决定的预算调整失效：验收以当时的预算为准。",
        )
    await record(
        session,
        principal.actor,
        "acceptance.record",
        "proposal",
        impl.proposal_id,
        after={
            "acceptance_id": str(acceptance.id),
            "attempt": acceptance.attempt,
            "outcome": acceptance.outcome.value,
            "reasons": reasons,
            "satisfaction_pct": rules.satisfaction_pct(body.survey.respondents, body.survey.satisfied),
            "floor_pct": rules_.evaluation.satisfaction_floor_pct,
        },
        region_path=impl.region_path,
    )
    return acceptance


def read(acceptance: Acceptance) -> dict:
    """The inspection with its satisfaction percentage."""
    return {
        **acceptance.model_dump(),
        "satisfaction_pct": rules.satisfaction_pct(acceptance.survey_respondents, acceptance.survey_satisfied),
    }


async def inspections(session: AsyncSession, impl: Implementation) -> list[dict]:
    """Every inspection, first first."""
    rows = await session.scalars(
        select(Acceptance).where(Acceptance.proposal_id == impl.proposal_id).order_by(Acceptance.attempt)
    )
    return [read(a) for a in rows]
