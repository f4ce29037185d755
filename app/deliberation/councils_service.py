"""Deliberation councils: announce, open registration, invitations, and the seeded, reproducible draw."""

import secrets
import uuid

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.models import User
from app.auth.principal import Principal
from app.auth.scoping import restrict_to_region
from app.common.models import utcnow
from app.common.rows import get_or_404
from app.core.errors import Conflict, Forbidden, Unprocessable
from app.deliberation import policy, selection
from app.deliberation.council_models import Council, CouncilParticipant
from app.deliberation.council_schemas import (
    CouncilCreate,
    GroupDecision,
    InvitationCreate,
    RegistrationCreate,
    SelectionCreate,
)
from app.deliberation.enums import CouncilState, GroupBasis, ParticipantSource
from app.regions.models import Region
from app.regions.rules import is_within
from app.voting import roll_service
from app.voting.models import VoterRollEntry


async def get_council(session: AsyncSession, council_id: uuid.UUID) -> Council:
    """The council, or 404."""
    return await get_or_404(session, Council, council_id, code="council_not_found", detail="No council with that id.")


async def _lock(session: AsyncSession, council: Council) -> Council:
    return (
        await session.scalars(
            select(Council).where(Council.id == council.id).with_for_update().execution_options(populate_existing=True)
        )
    ).one()


def _registering(council: Council) -> None:
    if council.state != CouncilState.registering:
        raise Conflict("Participants have been selected; the list is closed.", code="council_selected")


async def create_council(
    session: AsyncSession, principal: Principal, community: Region, data: CouncilCreate
) -> Council:
    """Announce a council for the community; registration opens at once."""
    policy.check_organise(principal, community.path, "community")
    if data.scheduled_at <= utcnow():
        raise Unprocessable("A council is announced ahead: its time must be in the future.", code="council_in_past")
    council = Council(
        community_id=community.id,
        region_path=community.path,
        topic=data.topic,
        form=data.form,
        scheduled_at=data.scheduled_at,
        place=data.place,
        host=data.host,
        seats=data.seats,
        created_by=principal.actor.id,
    )
    session.add(council)
    await session.flush()
    await record(
        session,
        principal.actor,
        "council.create",
        "council",
        council.id,
        after=data.model_dump(mode="json"),
        region_path=council.region_path,
    )
    return council


async def _add(
    session: AsyncSession, principal: Principal, council: Council, participant: CouncilParticipant, action: str
) -> CouncilParticipant:
    session.add(participant)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("That person is already a candidate for this council.", code="already_registered") from exc
    await record(
        session,
        principal.actor,
        action,
        "council",
        council.id,
        after={
            "participant_id": participant.id,
            "user_id": participant.user_id,
            "group": participant.group,
            "group_basis": participant.group_basis,
            "roll_entry_id": participant.roll_entry_id,
            "source": participant.source,
        },
        region_path=council.region_path,
    )
    return participant


async def _unit_names(session: AsyncSession, council: Council, entry: VoterRollEntry) -> tuple[set[str], set[str]]:
    """Names and codes (case-folded) of the community's sub-units, and of those the roll entry lives in."""
    rows = (
        await session.execute(
            select(Region.id, Region.name, Region.code, Region.path).where(
                Region.path.startswith(council.region_path, autoescape=True), Region.id != council.community_id
            )
        )
    ).all()
    unit = next((r for r in rows if r.id == entry.unit_id), None)
    every: set[str] = set()
    own: set[str] = set()
    for row in rows:
        names = {row.name.casefold(), *([row.code.casefold()] if row.code else [])}
        every |= names
        if unit is not None and is_within(unit.path, row.path):  # the entry's unit and the units above it
            own |= names
    return every, own


async def _group_basis(
    session: AsyncSession, council: Council, entry: VoterRollEntry, group: str | None
) -> GroupBasis | None:
    """roll when the group names the entry's own sub-unit; 422 when it names another one the roll knows;
    otherwise the registrant's claim, which staff confirm or reject before the draw."""
    if group is None:
        return None
    every, own = await _unit_names(session, council, entry)
    if group.casefold() in own:
        return GroupBasis.roll
    if group.casefold() in every:
        raise Unprocessable(
            f"居民名册登记的住址不在“{group}”，不能以该组别报名。 (The roll does not place you in {group}.)",
            code="group_not_on_roll",
        )
    return GroupBasis.claimed


async def register(
    session: AsyncSession, principal: Principal, council: Council, data: RegistrationCreate
) -> CouncilParticipant:
    """A resident on the community's roll puts their own name forward (公开报名), once per council."""
    council = await _lock(session, council)
    _registering(council)
    entry = await roll_service.entry_of_voter(session, council.community_id, principal.phone_digest)
    if entry is None:
        raise Forbidden(
            "只有本社区居民名册上的居民可以报名；如需参加，请联系社区工作人员邀请。"
            " (Only residents on this community's roll register; staff may invite others.)",
            code="not_on_roll",
        )
    basis = await _group_basis(session, council, entry, data.group)
    user = await session.get(User, principal.user_id)
    return await _add(
        session,
        principal,
        council,
        CouncilParticipant(
            council_id=council.id,
            name=user.display_name,
            user_id=user.id,
            group=data.group,
            group_basis=basis,
            roll_entry_id=entry.id,
            source=ParticipantSource.registration,
        ),
        "council.register",
    )


async def get_participant(session: AsyncSession, council: Council, participant_id: uuid.UUID) -> CouncilParticipant:
    """A candidate of this council, or 404."""
    return await get_or_404(
        session,
        CouncilParticipant,
        participant_id,
        code="participant_not_found",
        detail="No candidate with that id in this council.",
        accept=lambda p: p.council_id == council.id,
    )


async def decide_group(
    session: AsyncSession, principal: Principal, council: Council, participant_id: uuid.UUID, data: GroupDecision
) -> CouncilParticipant:
    """Staff confirm a registrant's claimed quota group, or reject it (the registrant stays, without a group)."""
    policy.check_organise(principal, council.region_path, "council")
    council = await _lock(session, council)
    _registering(council)
    person = await get_participant(session, council, participant_id)
    if person.group_basis != GroupBasis.claimed:
        raise Conflict(
            "该报名人的组别无需确认。 (This candidate's group is not an unconfirmed claim.)", code="group_not_claimed"
        )
    if not data.confirm and not data.reason:
        raise Unprocessable("不认可组别时须说明理由。 (A rejection needs a reason.)", code="reason_required")
    before = {"group": person.group, "group_basis": person.group_basis.value}
    if data.confirm:
        person.group_basis = GroupBasis.staff
    else:
        person.group, person.group_basis = None, None
    await session.flush()
    await record(
        session,
        principal.actor,
        "council.group_confirm" if data.confirm else "council.group_reject",
        "council",
        council.id,
        before={"participant_id": person.id, **before},
        after={
            "participant_id": person.id,
            "group": person.group,
            "group_basis": person.group_basis.value if person.group_basis else None,
            "reason": data.reason,
        },
        region_path=council.region_path,
    )
    return person


async def invite(
    session: AsyncSession, principal: Principal, council: Council, data: InvitationCreate
) -> CouncilParticipant:
    """Staff invite someone (主动邀请); invitees are seated before any draw."""
    policy.check_organise(principal, council.region_path, "council")
    council = await _lock(session, council)
    _registering(council)
    if data.user_id is not None and await session.get(User, data.user_id) is None:
        raise Unprocessable("No user with that id.", code="unknown_user")
    return await _add(
        session,
        principal,
        council,
        CouncilParticipant(
            council_id=council.id,
            name=data.name,
            user_id=data.user_id,
            group=data.group,
            group_basis=GroupBasis.staff if data.group else None,
            source=ParticipantSource.invitation,
        ),
        "council.invite",
    )


async def select_participants(
    session: AsyncSession, principal: Principal, council: Council, data: SelectionCreate
) -> tuple[Council, list[CouncilParticipant], dict[str, int]]:
    """Seat the invited, draw each quota within its group, then draw the rest; record the seed. Once only."""
    policy.check_organise(principal, council.region_path, "council")
    council = await _lock(session, council)
    _registering(council)
    if len({q.group for q in data.quotas}) != len(data.quotas):
        raise Unprocessable("Each quota group may appear once.", code="duplicate_quota")
    people = list(
        (await session.scalars(select(CouncilParticipant).where(CouncilParticipant.council_id == council.id))).all()
    )
    # A quota seat goes only to a group the roll or staff vouch for; a self-declared one is decided first.
    pending = sorted(str(p.id) for p in people if p.group_basis == GroupBasis.claimed)
    if pending:
        raise Conflict(
            f"还有{len(pending)}名报名人自报的组别未经工作人员确认，请先确认或不予认可再抽选。"
            f" ({len(pending)} claimed quota groups await a decision.)",
            code="group_claims_pending",
            extra={"participant_ids": pending},
        )
    seed = data.seed if data.seed is not None else secrets.randbits(63)
    quotas = [selection.Quota(q.group, q.seats) for q in data.quotas]
    candidates = [selection.Candidate(str(p.id), p.group, p.source == ParticipantSource.invitation) for p in people]
    try:
        result = selection.select_participants(candidates, council.seats, quotas, seed)
    except selection.SelectionError as exc:
        raise Unprocessable(str(exc), code="seats_exceeded") from exc
    chosen = []
    for person in people:
        method = result.chosen.get(str(person.id))
        if method is not None:
            person.selected, person.selected_by = True, method
            chosen.append(person)
    council.state, council.seed, council.selected_at = CouncilState.selected, str(seed), utcnow()
    council.quotas = [q.model_dump() for q in data.quotas]
    await session.flush()
    await record(
        session,
        principal.actor,
        "council.select",
        "council",
        council.id,
        after={
            "seed": council.seed,
            "seats": council.seats,
            "quotas": council.quotas,
            "candidates": len(people),
            "selected": {str(p.id): p.selected_by for p in chosen},
            "shortfalls": result.shortfalls,
        },
        region_path=council.region_path,
    )
    chosen.sort(key=lambda p: (p.selected_by, p.name, str(p.id)))
    return council, chosen, result.shortfalls


def list_statement(principal: Principal, community_id: uuid.UUID | None) -> Select:
    """Councils of the caller's region, soonest last."""
    stmt = restrict_to_region(select(Council), principal, Council.region_path)
    if community_id:
        stmt = stmt.where(Council.community_id == community_id)
    return stmt.order_by(Council.scheduled_at.desc(), Council.id)


def participants_statement(council: Council, selected: bool | None) -> Select:
    """The council's candidates by name."""
    stmt = select(CouncilParticipant).where(CouncilParticipant.council_id == council.id)
    if selected is not None:
        stmt = stmt.where(CouncilParticipant.selected == selected)
    return stmt.order_by(CouncilParticipant.name, CouncilParticipant.id)


def public_statement(community_id: uuid.UUID | None) -> Select:
    """Councils for the public, newest first."""
    stmt = select(Council)
    if community_id:
        stmt = stmt.where(Council.community_id == community_id)
    return stmt.order_by(Council.scheduled_at.desc(), Council.id)
