"""Screening (初审) against the negative list and the per-type cap, and needs-survey notes (社情民意调研)."""

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.core.errors import Conflict, Unprocessable
from app.programmes.service import get_programme
from app.proposals import negative_list, policy, rules
from app.proposals.enums import ProposalState
from app.proposals.lifecycle_service import Process, not_allowed, transition
from app.proposals.models import Proposal, ProposalScreening, SurveyNote
from app.proposals.schemas import ScreeningCreate, SurveyNoteCreate
from app.proposals.service import budget_lines, cap_for

OVER_CAP = {"code": "over_cap", "label": "超出单个项目资金上限"}


async def negative_items(session: AsyncSession, proposal: Proposal) -> tuple[negative_list.NegativeItem, ...]:
    """The negative list of the proposal's programme (or the default)."""
    programme = await get_programme(session, proposal.programme_id)
    return negative_list.items_from(programme.rules.get("negative_list"))


async def screen(
    session: AsyncSession, principal: Principal, proposal: Proposal, data: ScreeningCreate
) -> ProposalScreening:
    """Record the verdict: pass → screened; any failed item or a budget over the cap → returned with reasons."""
    policy.check_staff_write(principal, proposal, "screen proposals")
    if proposal.state != ProposalState.submitted:
        raise not_allowed(proposal, ProposalState.screened, frozenset({rules.Mover.system}))
    items = await negative_items(session, proposal)
    unknown = negative_list.unknown_codes(items, data.failed_items)
    if unknown:
        raise Unprocessable(
            f"Not on the negative list: {', '.join(unknown)}.",
            code="unknown_negative_item",
            extra={"unknown": unknown, "known": [i.code for i in items]},
        )
    # The cap is checked again from the stored lines, whatever was checked at intake.
    lines = await budget_lines(session, proposal.id)
    total = rules.budget_total((ln.quantity, ln.unit_price_fen) for ln in lines)
    cap = await cap_for(session, proposal)
    reasons = negative_list.reasons_for(items, data.failed_items)
    if total > cap:
        reasons.append(OVER_CAP)
    screening = ProposalScreening(
        proposal_id=proposal.id,
        passed=not reasons,
        reasons=reasons,
        total_fen=total,
        cap_fen=cap,
        over_cap=total > cap,
        note=data.note,
        screened_by=principal.actor.id,
    )
    session.add(screening)
    await session.flush()
    summary = "；".join(r["label"] for r in reasons) or None
    if data.note:
        summary = f"{summary}。{data.note}" if summary else data.note
    target = ProposalState.screened if screening.passed else ProposalState.returned
    await transition(
        session,
        proposal,
        target,
        Process("screening", principal.actor),
        (summary or "")[:500] or None,
        details={
            "screening_id": screening.id,
            "passed": screening.passed,
            "reasons": reasons,
            "total_fen": total,
            "cap_fen": cap,
            "note": data.note,
        },
    )
    return screening


def screenings_statement(proposal: Proposal) -> Select:
    """The proposal's screenings, newest first."""
    return (
        select(ProposalScreening)
        .where(ProposalScreening.proposal_id == proposal.id)
        .order_by(ProposalScreening.screened_at.desc(), ProposalScreening.id)
    )


async def add_survey_note(
    session: AsyncSession, principal: Principal, proposal: Proposal, data: SurveyNoteCreate
) -> SurveyNote:
    """Record a needs-survey finding on a screened proposal (staff of its region)."""
    policy.check_staff_write(principal, proposal, "record survey notes")
    if proposal.state not in rules.SURVEY_STATES:
        raise Conflict(
            f"Survey notes are recorded from screening until deliberation, not on a {proposal.state.value} proposal.",
            code="survey_closed",
        )
    note = SurveyNote(
        proposal_id=proposal.id,
        method=data.method,
        surveyed_on=data.surveyed_on,
        respondents=data.respondents,
        findings=data.findings,
        recorded_by=principal.actor.id,
    )
    session.add(note)
    await session.flush()
    await record(
        session,
        principal.actor,
        "proposal.survey_note",
        "proposal",
        proposal.id,
        after={
            "note_id": note.id,
            "method": note.method,
            "surveyed_on": note.surveyed_on,
            "respondents": note.respondents,
            "findings": note.findings,
        },
        region_path=proposal.region_path,
    )
    return note


def survey_notes_statement(proposal: Proposal) -> Select:
    """The proposal's survey notes, oldest first."""
    return (
        select(SurveyNote).where(SurveyNote.proposal_id == proposal.id).order_by(SurveyNote.recorded_at, SurveyNote.id)
    )
