"""Campaigns: set up on an open (or closed) programme with a rubric version and rules, changed freely before
they open, then only a later deadline and, until the first score is submitted, the scoring settings; read by the
district, its streets and the people assigned."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.service import record
from app.auth.models import Role
from app.auth.principal import Principal
from app.auth.scoping import restrict_to_overlapping
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core import clock
from app.core.errors import Conflict, NotFound, Unprocessable
from app.evaluation import policy, rubric_service, rules
from app.evaluation.models import (
    Assignment,
    CampaignProject,
    EvaluationCampaign,
    Rubric,
    RubricVersion,
    Score,
    ScoreStatus,
)
from app.evaluation.schemas import CampaignCreate, CampaignRules, CampaignUpdate
from app.programmes.models import Programme, ProgrammeStatus
from app.programmes.ruleset import EvaluationRule
from app.programmes.service import programme_rules

# Changes an open campaign always accepts; a new rubric or start would change what evaluators are scoring against.
OPEN_CHANGES = frozenset({"title", "closes_on"})
# Scoring settings (weights, trimming, grade cut-offs, satisfaction floor) stay open until the first score is
# submitted: after that, changing them would change how scores already given count.
SCORING_SETTINGS = frozenset(CampaignRules.model_fields)


def phase_of(campaign: EvaluationCampaign, on: date | None = None) -> str:
    """The campaign's phase today (Asia/Shanghai) or on a given day."""
    return rules.phase(campaign.opens_on, campaign.closes_on, on or clock.today())


def rule_of(campaign: EvaluationCampaign) -> EvaluationRule:
    """The campaign's weights, trimming, grade cut-offs and satisfaction floor."""
    return EvaluationRule.model_validate(campaign.rule)


def check_writable(campaign: EvaluationCampaign, what: str = "Scores and ratings") -> None:
    """409 campaign_not_open before the window, campaign_ended after the deadline (everything locked)."""
    problem = rules.writing_problem(phase_of(campaign), what)
    if problem:
        raise Conflict(
            problem.message,
            code=problem.code,
            extra={"opens_on": campaign.opens_on.isoformat(), "closes_on": campaign.closes_on.isoformat()},
        )


def snapshot(campaign: EvaluationCampaign) -> dict[str, Any]:
    """The audited state of a campaign."""
    return {
        "title": campaign.title,
        "programme_id": campaign.programme_id,
        "year": campaign.year,
        "rubric_version_id": campaign.rubric_version_id,
        "rule": campaign.rule,
        "opens_on": campaign.opens_on,
        "closes_on": campaign.closes_on,
    }


async def get_campaign(session: AsyncSession, campaign_id: uuid.UUID, *, lock: str | None = None) -> EvaluationCampaign:
    """The campaign, or 404."""
    return await get_or_404(
        session,
        EvaluationCampaign,
        campaign_id,
        code="campaign_not_found",
        detail="No evaluation campaign with that id.",
        lock=lock,
        fresh=True,
    )


async def campaign_region(session: AsyncSession, campaign_id: uuid.UUID) -> str | None:
    """The campaign's region path, or None when there is no such campaign (auth scopes API tokens with it,
    through app/auth/hooks.py)."""
    return await session.scalar(
        select(col(EvaluationCampaign.region_path)).where(col(EvaluationCampaign.id) == campaign_id)
    )


async def has_assignment(session: AsyncSession, principal: Principal, campaign_id: uuid.UUID) -> bool:
    """Whether the caller (or their organisation) is assigned anything in the campaign."""
    keys = policy.assignee_keys(principal)
    if not keys:
        return False
    return bool(
        await session.scalar(
            select(exists().where(Assignment.campaign_id == campaign_id, Assignment.assignee_key.in_(keys)))
        )
    )


async def campaign_for(
    session: AsyncSession,
    principal: Principal,
    campaign_id: uuid.UUID,
    *,
    manage: bool = False,
    lock: str | None = None,
) -> EvaluationCampaign:
    """The campaign as the caller may see it (404 otherwise) or run it (403 for readers)."""
    campaign = await get_campaign(session, campaign_id, lock=lock)
    if principal.role in (Role.evaluator, Role.assessor):
        bound = principal.kind == "token" and principal.campaign_id == campaign.id
        if not bound and not await has_assignment(session, principal, campaign.id):
            raise NotFound("No evaluation campaign with that id.", code="campaign_not_found")
    else:
        policy.check_oversee(principal, campaign.region_path)
    if manage:
        policy.check_manage(principal, campaign.region_path)
    return campaign


async def _rubric_version(
    session: AsyncSession, programme: Programme, rubric_id: uuid.UUID, number: int | None
) -> RubricVersion:
    rubric = await session.get(Rubric, rubric_id)
    if rubric is None:
        raise Unprocessable("No rubric with that id.", code="unknown_rubric")
    if rubric.district_id != programme.district_id:
        raise Unprocessable("The rubric belongs to another district.", code="rubric_not_in_district")
    return await rubric_service.version_of(session, rubric, number)


def _rule(base: dict[str, Any], body: CampaignRules) -> dict[str, Any]:
    """The base rule with the body's overrides (each validated by its own model already)."""
    overrides = body.model_dump(include=set(CampaignRules.model_fields), exclude_none=True)
    return EvaluationRule.model_validate({**base, **overrides}).model_dump(mode="json")


def _check_window(opens_on: date, closes_on: date) -> None:
    problem = rules.window_problem(opens_on, closes_on, clock.today())
    if problem:
        raise Unprocessable(problem.message, code=problem.code)


async def create_campaign(session: AsyncSession, principal: Principal, body: CampaignCreate) -> EvaluationCampaign:
    """The programme's annual evaluation (one per programme), with its rubric version frozen in."""
    programme = await session.get(Programme, body.programme_id)
    if programme is None:
        raise Unprocessable("No programme with that id.", code="unknown_programme")
    policy.check_manage(principal, programme.region_path)
    if programme.status == ProgrammeStatus.draft:
        raise Conflict("The programme has not opened; there is nothing to evaluate yet.", code="programme_not_open")
    version = await _rubric_version(session, programme, body.rubric_id, body.rubric_version)
    _check_window(body.opens_on, body.closes_on)
    if await session.scalar(select(exists().where(EvaluationCampaign.programme_id == programme.id))):
        raise Conflict(f"The {programme.year} programme already has its evaluation campaign.", code="campaign_exists")
    campaign = EvaluationCampaign(
        programme_id=programme.id,
        district_id=programme.district_id,
        region_path=programme.region_path,
        year=programme.year,
        title=body.title,
        rubric_version_id=version.id,
        rule=_rule(programme_rules(programme).evaluation.model_dump(mode="json"), body),
        opens_on=body.opens_on,
        closes_on=body.closes_on,
        created_by=principal.actor.id,
    )
    session.add(campaign)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create won the unique constraint
        raise Conflict(
            f"The {programme.year} programme already has its evaluation campaign.", code="campaign_exists"
        ) from exc
    await record(
        session,
        principal.actor,
        "campaign.create",
        "evaluation_campaign",
        campaign.id,
        after=snapshot(campaign),
        region_path=campaign.region_path,
    )
    return campaign


async def first_submission(session: AsyncSession, campaign_id: uuid.UUID) -> str | None:
    """When the campaign's first submitted score came in (ISO), or None while nothing is submitted."""
    first = await session.scalar(
        select(func.min(Score.submitted_at)).where(
            Score.campaign_id == campaign_id, Score.status == ScoreStatus.submitted
        )
    )
    return first.isoformat() if first is not None else None


async def update_campaign(
    session: AsyncSession, principal: Principal, campaign: EvaluationCampaign, body: CampaignUpdate
) -> EvaluationCampaign:
    """Change a campaign that has not opened; an open one takes a new title, a later deadline and, until its first
    score is submitted, new scoring settings (the caller holds the campaign's row lock, which submissions share)."""
    current = phase_of(campaign)
    if current == rules.Phase.ended:
        raise Conflict("The campaign has ended; it can no longer change.", code="campaign_ended")
    changes = body.model_dump(exclude_unset=True)
    if current == rules.Phase.open and set(changes) - OPEN_CHANGES - SCORING_SETTINGS:
        raise Conflict(
            "The campaign is open: only its title, a later deadline and, until the first score is "
            "submitted, its scoring settings may change.",
            code="campaign_started",
            extra={"fields": sorted(set(changes) - OPEN_CHANGES - SCORING_SETTINGS)},
        )
    settings = sorted(set(changes) & SCORING_SETTINGS)
    if settings and (first := await first_submission(session, campaign.id)) is not None:
        raise Conflict(
            "本次评估已有评分提交，权重、去极值、等级分数线和满意度底线已冻结，不能再修改。Scores have been "
            "submitted in this campaign: its weights, trimming, grade cut-offs and satisfaction floor are "
            "frozen.",
            code="scoring_frozen",
            extra={"fields": settings, "first_submitted_at": first},
        )
    if current == rules.Phase.open and body.closes_on is not None and body.closes_on < campaign.closes_on:
        raise Unprocessable("An open campaign's deadline may only move later.", code="deadline_moved_earlier")
    before = snapshot(campaign)
    opens_on, closes_on = body.opens_on or campaign.opens_on, body.closes_on or campaign.closes_on
    if "opens_on" in changes or "closes_on" in changes:
        _check_window(opens_on, closes_on)
    if body.rubric_id is not None or body.rubric_version is not None:
        current_version = await session.get(RubricVersion, campaign.rubric_version_id)
        programme = await session.get(Programme, campaign.programme_id)
        version = await _rubric_version(
            session, programme, body.rubric_id or current_version.rubric_id, body.rubric_version
        )
        campaign.rubric_version_id = version.id
    campaign.rule = _rule(campaign.rule, body)
    campaign.title = body.title or campaign.title
    campaign.opens_on, campaign.closes_on, campaign.updated_at = opens_on, closes_on, utcnow()
    await session.flush()
    await record(
        session,
        principal.actor,
        "campaign.update",
        "evaluation_campaign",
        campaign.id,
        before=before,
        after=snapshot(campaign),
        region_path=campaign.region_path,
    )
    return campaign


def list_statement(principal: Principal, year: int | None = None) -> Select:
    """Campaigns the caller may read: of their district (staff), or where they are assigned (evaluators,
    assessors; a bound token sees its campaign only); newest year first."""
    stmt = select(EvaluationCampaign)
    if principal.kind == "token" and principal.campaign_id is not None:
        stmt = stmt.where(EvaluationCampaign.id == principal.campaign_id)
    elif principal.role in (Role.evaluator, Role.assessor):
        mine = select(Assignment.campaign_id).where(Assignment.assignee_key.in_(policy.assignee_keys(principal)))
        stmt = stmt.where(EvaluationCampaign.id.in_(mine))
    else:
        stmt = restrict_to_overlapping(stmt, principal, EvaluationCampaign.region_path)
    if year is not None:
        stmt = stmt.where(EvaluationCampaign.year == year)
    return stmt.order_by(EvaluationCampaign.year.desc(), EvaluationCampaign.created_at.desc(), EvaluationCampaign.id)


def public_statement(district_id: uuid.UUID | None, year: int | None) -> Select:
    """Every campaign, for the public list (residents find where to rate here)."""
    stmt = select(EvaluationCampaign)
    if district_id is not None:
        stmt = stmt.where(EvaluationCampaign.district_id == district_id)
    if year is not None:
        stmt = stmt.where(EvaluationCampaign.year == year)
    return stmt.order_by(EvaluationCampaign.year.desc(), EvaluationCampaign.created_at.desc(), EvaluationCampaign.id)


async def project_count(session: AsyncSession, campaign_id: uuid.UUID) -> int:
    """How many projects the campaign evaluates."""
    return (
        await session.scalar(
            select(func.count()).select_from(CampaignProject).where(CampaignProject.campaign_id == campaign_id)
        )
        or 0
    )


async def view(session: AsyncSession, campaign: EvaluationCampaign) -> dict[str, Any]:
    """The campaign with its rubric version's criteria and its rules spelt out."""
    version = await session.get(RubricVersion, campaign.rubric_version_id)
    rubric = await session.get(Rubric, version.rubric_id)
    rule = rule_of(campaign)
    return {
        "id": campaign.id,
        "programme_id": campaign.programme_id,
        "district_id": campaign.district_id,
        "year": campaign.year,
        "title": campaign.title,
        "rubric_id": rubric.id,
        "rubric_name": rubric.name,
        "rubric_version": version.version,
        "criteria": version.criteria,
        "weights": rule.weights,
        "grade_cutoffs": rule.grade_cutoffs,
        "trim_extremes": rule.trim_extremes,
        "satisfaction_floor_pct": rule.satisfaction_floor_pct,
        "opens_on": campaign.opens_on,
        "closes_on": campaign.closes_on,
        "phase": phase_of(campaign),
        "projects": await project_count(session, campaign.id),
        "created_at": campaign.created_at,
    }


async def public_view(session: AsyncSession, campaign: EvaluationCampaign) -> dict[str, Any]:
    """What the public sees: title, year, window, how many projects."""
    return {
        "id": campaign.id,
        "district_id": campaign.district_id,
        "year": campaign.year,
        "title": campaign.title,
        "opens_on": campaign.opens_on,
        "closes_on": campaign.closes_on,
        "phase": phase_of(campaign),
        "projects": await project_count(session, campaign.id),
    }


async def criteria_of(session: AsyncSession, campaign: EvaluationCampaign) -> list[rules.Criterion]:
    """The criteria of the rubric version the campaign started with."""
    return rubric_service.criteria_of(await session.get(RubricVersion, campaign.rubric_version_id))
