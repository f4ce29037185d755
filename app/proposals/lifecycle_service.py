"""The one way a proposal changes state: `transition`, for people (by principal) and services (by Process)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from app.audit.service import SYSTEM, Actor, Event, record_many
from app.auth.principal import Principal
from app.common.models import utcnow
from app.core.errors import Conflict, Unprocessable
from app.notifications import outbox
from app.programmes.models import Programme, ProgrammeStatus
from app.proposals import policy, rules
from app.proposals.enums import ProposalState
from app.proposals.models import Proposal
from app.proposals.rules import Mover
from app.proposals.service import budget_lines, cap_for


@dataclass(frozen=True)
class Process:
    """A service moving a proposal on its own authority (screening, meeting close, vote close, notice, ...)."""

    name: str
    actor: Actor = SYSTEM


def movers_of(by: Principal | Process, proposal: Proposal) -> frozenset[Mover]:
    """The lifecycle roles of whoever is moving the proposal."""
    if isinstance(by, Process):
        return frozenset({Mover.system})
    return policy.movers_for(by, proposal)


def not_allowed(proposal: Proposal, target: ProposalState, movers: frozenset[Mover]) -> Conflict:
    """The 409 naming the transitions the caller may make from the current state."""
    allowed = rules.allowed_from(proposal.state, movers)
    names = ", ".join(a["to"] for a in allowed) or "none"
    return Conflict(
        f"A {proposal.state.value} proposal cannot move to {target.value} by you; allowed: {names}.",
        code="transition_not_allowed",
        extra={"from": proposal.state.value, "to": target.value, "allowed": allowed},
    )


async def _check_submittable(session: AsyncSession, proposal: Proposal) -> None:
    programme = await session.get(Programme, proposal.programme_id)
    if programme is None or programme.status != ProgrammeStatus.open:
        raise Conflict("The programme is not open for proposals.", code="programme_not_open")
    lines = await budget_lines(session, proposal.id)
    problem = rules.budget_problem(proposal.kind, len(lines), proposal.total_fen, await cap_for(session, proposal))
    if problem:
        raise Unprocessable(problem, code="budget_invalid")


@dataclass(frozen=True)
class Move:
    """One proposal to move, where to, why, and what the calling service decided (goes into the audit event)."""

    proposal: Proposal
    to_state: ProposalState
    reason: str | None = None
    details: dict | None = None


async def transition_many(
    session: AsyncSession, moves: Sequence[Move], by: Principal | Process, also: Sequence[Event] = ()
) -> None:
    """Move several proposals at once (a round's close, a notice): each step checked, one guarded UPDATE per
    (from, to, reason) group, one batch of audit events (the caller's own `also` events appended to it).
    409 if any proposal changed meanwhile."""
    for move in moves:
        movers = movers_of(by, move.proposal)
        if not rules.may(move.proposal.state, move.to_state, movers):
            raise not_allowed(move.proposal, move.to_state, movers)
        if move.to_state == ProposalState.submitted:
            await _check_submittable(session, move.proposal)
    now = utcnow()
    groups: dict[tuple, list[Move]] = {}
    for move in moves:
        groups.setdefault((move.proposal.state, move.to_state, move.reason), []).append(move)
    events = []
    for (source, target, reason), members in groups.items():
        values = {"state": target, "state_reason": reason, "state_changed_at": now, "updated_at": now}
        ids = [m.proposal.id for m in members]
        stamp = {"submitted_at": func.coalesce(Proposal.submitted_at, now)} if target == ProposalState.submitted else {}
        # Guarded on the state read: of two concurrent movers, the second finds nothing to update.
        result = await session.execute(
            update(Proposal)
            .where(Proposal.id.in_(ids), Proposal.state == source)
            .values(**values, **stamp)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != len(ids):
            raise Conflict("A proposal changed meanwhile; reload it.", code="proposal_changed")
        for move in members:
            proposal = move.proposal
            for key, value in values.items():
                set_committed_value(proposal, key, value)  # already written; keep the object from writing it twice
            if target == ProposalState.submitted and proposal.submitted_at is None:
                set_committed_value(proposal, "submitted_at", now)
            outbox.proposal_moved(session, proposal, target, reason)
            events.append(
                Event(
                    "proposal.transition",
                    "proposal",
                    proposal.id,
                    before={"state": source},
                    after={
                        "state": target,
                        "reason": reason,
                        **(move.details or {}),
                        **({"process": by.name} if isinstance(by, Process) else {}),
                    },
                    region_path=proposal.region_path,
                )
            )
    await record_many(session, by.actor, [*events, *also])


@dataclass(frozen=True)
class MoveById:
    """A move of a proposal the caller has not loaded (transition_from)."""

    proposal_id: uuid.UUID
    to_state: ProposalState
    details: dict | None = None


async def transition_from(
    session: AsyncSession,
    source: ProposalState,
    moves: Sequence[MoveById],
    by: Process,
    reason: str | None,
    also: Sequence[Event] = (),
) -> None:
    """transition_many for proposals expected in `source`, without loading them first: one guarded
    UPDATE ... RETURNING, each proposal set to its own target state. A round's close moves its ten proposals this
    way, 500 closes in a district, where loading each round's proposals cost more than moving them. A proposal
    found in another state goes through transition_many, so it is moved or refused (409) exactly as there."""
    movers = frozenset({Mover.system})  # a Process moves as the system, whatever the proposal
    for move in moves:
        if move.to_state == ProposalState.submitted:
            raise ValueError("submitting needs the proposal's budget checked: use transition_many")
    # Moves none of which can go from source are left to transition_many below, which says why.
    movable = {m.proposal_id: m for m in moves if rules.may(source, m.to_state, movers)}
    now = utcnow()
    events, moved = [], set()
    if movable:
        target = case({pid: m.to_state for pid, m in movable.items()}, value=col(Proposal.id))
        rows = await session.execute(
            update(Proposal)
            .where(col(Proposal.id).in_(list(movable)), col(Proposal.state) == source)
            .values(
                state=type_coerce(target, col(Proposal.state).type),
                state_reason=reason,
                state_changed_at=now,
                updated_at=now,
            )
            .returning(col(Proposal.id), col(Proposal.region_path))
            .execution_options(synchronize_session=False)
        )
        paths = dict(rows.all())
        # The events by target state, in the order the targets first appear (as one UPDATE per target gave them).
        first = [m.to_state for m in moves]
        by_target = sorted(movable.values(), key=lambda m: first.index(m.to_state))
        for move in by_target:
            if move.proposal_id in paths:
                moved.add(move.proposal_id)
                events.append(
                    Event(
                        "proposal.transition",
                        "proposal",
                        move.proposal_id,
                        before={"state": source},
                        after={
                            "state": move.to_state,
                            "reason": reason,
                            **(move.details or {}),
                            "process": by.name,
                        },
                        region_path=paths[move.proposal_id],
                    )
                )
    rest = [m for m in moves if m.proposal_id not in moved]
    if rest:
        found = {
            p.id: p
            for p in await session.scalars(select(Proposal).where(Proposal.id.in_([m.proposal_id for m in rest])))
        }
        if len(found) != len(rest):
            raise Conflict("A proposal changed meanwhile; reload it.", code="proposal_changed")
        await transition_many(session, [Move(found[m.proposal_id], m.to_state, reason, m.details) for m in rest], by)
    await record_many(session, by.actor, [*events, *also])


async def transition(
    session: AsyncSession,
    proposal: Proposal,
    to_state: ProposalState,
    by: Principal | Process,
    reason: str | None = None,
    *,
    details: dict | None = None,
) -> Proposal:
    """Move the proposal if the lifecycle lets `by` make this step; 409 listing the allowed ones otherwise.

    One audit event records the step; `details` (what the calling service decided) go into it.
    """
    await transition_many(session, [Move(proposal, to_state, reason, details)], by)
    return proposal
