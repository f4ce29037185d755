"""What voting rounds and review panels hold of their pilot's money: derived from the rounds, the panels and the
ledger, never a balance of its own.

A round that is not closed or cancelled holds its whole budget, so two rounds can never promise the same
money. Closing releases what the round did not allocate; it keeps holding the ballot cost of each project it
selected until the ledger commits that project (confirmation after the notice, for the confirmed budget, which
may be lower). An upheld objection takes a project out and gives its money to the round's next projects in the
same transaction, so the freed money stays with the round; what they do not use is released. A cancelled round
holds nothing. Since every figure is computed from the rows that decide it, nothing can drift.

Expert review panels (公益微创投) draw on the same pool by the same rule: an open panel holds its whole budget; its
close releases what it did not allocate and keeps holding each selected application's cost until the ledger
commits it; an upheld objection moves the freed money to the panel's next applications; a dissolved panel holds
nothing. A round, a panel, a direct commitment or a budget rise that would take held money is refused.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.common.money import yuan
from app.core.errors import Conflict
from app.funds import accounts_service
from app.review.models import PanelStatus, ReviewApplication, ReviewPanel
from app.voting import rules
from app.voting.models import RoundProject, RoundStatus, VotingRound


@dataclass(frozen=True)
class RoundHold:
    """One round's claim on its pilot's uncommitted money."""

    round_id: uuid.UUID
    title: str
    status: RoundStatus
    held_fen: int


async def _held(
    session: AsyncSession,
    pilot_id: uuid.UUID,
    holder: Any,
    items: Any,
    item_holder: Any,
    statuses: tuple[Any, Any],
    except_id: uuid.UUID | None,
) -> list[tuple[uuid.UUID, str, Any, int]]:
    """(id, title, status, held) of the pilot's holders (rounds or panels) that hold money, oldest first: an open
    one its whole budget, a closed one its selected items' cost not yet committed."""
    open_status, closed_status = statuses
    hid, title, status, created = col(holder.id), col(holder.title), col(holder.status), col(holder.created_at)
    open_ones = select(hid, title, status, col(holder.budget_fen), created).where(
        col(holder.pilot_id) == pilot_id, status == open_status
    )
    winners = (
        select(hid, title, status, func.sum(col(items.cost_fen)), created)
        .join(items, item_holder == hid)
        .where(
            col(holder.pilot_id) == pilot_id,
            status == closed_status,
            col(items.selected).is_(True),
            ~accounts_service.has_commitment(col(items.proposal_id)),
        )
        .group_by(hid, title, status, created)
    )
    if except_id is not None:
        open_ones, winners = open_ones.where(hid != except_id), winners.where(hid != except_id)
    rows = [*(await session.execute(open_ones)).all(), *(await session.execute(winners)).all()]
    return [
        (hid_, title_, status_, int(held))
        for hid_, title_, status_, held, _ in sorted(rows, key=lambda r: (r[4], str(r[0])))
        if held
    ]


async def holds(
    session: AsyncSession, pilot_id: uuid.UUID, *, except_round: uuid.UUID | None = None
) -> list[RoundHold]:
    """The rounds of the pilot that hold money (all but `except_round`), oldest first."""
    rows = await _held(
        session,
        pilot_id,
        VotingRound,
        RoundProject,
        col(RoundProject.round_id),
        (RoundStatus.scheduled, RoundStatus.closed),
        except_round,
    )
    return [RoundHold(i, title, RoundStatus(status), held) for i, title, status, held in rows]


@dataclass(frozen=True)
class PanelHold:
    """One review panel's claim on its pilot's uncommitted money."""

    panel_id: uuid.UUID
    title: str
    status: PanelStatus
    held_fen: int


async def panel_holds(
    session: AsyncSession, pilot_id: uuid.UUID, *, except_panel: uuid.UUID | None = None
) -> list[PanelHold]:
    """The review panels of the pilot that hold money (all but `except_panel`), oldest first: an open panel its
    budget, a closed one its selected applications not yet committed."""
    rows = await _held(
        session,
        pilot_id,
        ReviewPanel,
        ReviewApplication,
        col(ReviewApplication.panel_id),
        (PanelStatus.open, PanelStatus.closed),
        except_panel,
    )
    return [PanelHold(i, title, PanelStatus(status), held) for i, title, status, held in rows]


async def held_fen(session: AsyncSession, pilot_id: uuid.UUID) -> int:
    """Everything the pilot's rounds and review panels hold together."""
    return sum(h.held_fen for h in await holds(session, pilot_id)) + sum(
        h.held_fen for h in await panel_holds(session, pilot_id)
    )


async def check_budget(
    session: AsyncSession,
    pilot_id: uuid.UUID,
    asked: int | None,
    *,
    except_round: uuid.UUID | None = None,
    except_panel: uuid.UUID | None = None,
) -> int:
    """The budget a round or a review panel may hold: at most the pilot's uncommitted money less what its other
    rounds and panels hold (409 no_funds, budget_reserved_by_other_rounds naming each holder, or
    budget_exceeds_funds). `asked` None takes everything available.

    The pilot's balance row is locked first, so two rounds or panels set up at once (or one and a commitment)
    are decided one after the other and the second sees what the first took."""
    await accounts_service.lock_balance(session, pilot_id)
    uncommitted = await accounts_service.uncommitted_fen(session, pilot_id)
    rounds = await holds(session, pilot_id, except_round=except_round)
    panels = await panel_holds(session, pilot_id, except_panel=except_panel)
    held = sum(h.held_fen for h in rounds) + sum(h.held_fen for h in panels)
    available = rules.unreserved_fen(uncommitted, held)
    budget = available if asked is None else asked
    extra = {
        "available_fen": available,
        "uncommitted_fen": uncommitted,
        "reserved_by_other_rounds_fen": held,
        "other_rounds": [
            {"round_id": str(h.round_id), "title": h.title, "status": h.status.value, "held_fen": h.held_fen}
            for h in rounds
        ],
        "review_panels": [
            {"panel_id": str(h.panel_id), "title": h.title, "status": h.status.value, "held_fen": h.held_fen}
            for h in panels
        ],
    }
    named = [f"投票轮次“{h.title}” {yuan(h.held_fen)}" for h in rounds] + [
        f"评审“{h.title}” {yuan(h.held_fen)}" for h in panels
    ]
    held_text = f"其他投票轮次与评审占用 {yuan(held)}" + ("（" + "、".join(named) + "）" if named else "")
    if budget <= 0:
        raise Conflict(
            f"试点已没有可分配的资金：未承诺资金 {yuan(uncommitted)}，{held_text}。"
            " The pilot has no funds left to allocate.",
            code="no_funds",
            extra=extra,
        )
    if budget > available:
        if held:
            raise Conflict(
                f"预算 {yuan(budget)} 超出试点可用资金 {yuan(available)}：未承诺资金 "
                f"{yuan(uncommitted)}，{held_text}。 The budget exceeds what the pilot has left "
                "once its other open or unconfirmed rounds and review panels are set aside.",
                code="budget_reserved_by_other_rounds",
                extra=extra,
            )
        raise Conflict(
            f"预算 {yuan(budget)} 超出试点可用资金 {yuan(available)}。 The budget exceeds the pilot's available funds.",
            code="budget_exceeds_funds",
            extra=extra,
        )
    return budget


async def refuse_taking_held_money(session: AsyncSession, pilot_id: uuid.UUID, amount_fen: int, what: str) -> None:
    """Refuse a promise of money outside a round (a direct commitment, a budget rise) that would take money the
    pilot's voting rounds and review panels hold for their selections. Decided under the pilot's balance row
    lock, like a round's own budget, so a round set up at the same moment and this promise are decided one after
    the other."""
    await accounts_service.lock_balance(session, pilot_id)
    held = await held_fen(session, pilot_id)
    if not held:
        return  # nothing promised to a vote: the ledger's own guard decides
    free = max(0, await accounts_service.uncommitted_fen(session, pilot_id) - held)
    if amount_fen > free:
        raise Conflict(
            f"{what}需 {yuan(amount_fen)}，但试点未承诺资金中有 {yuan(held)} "
            f"已由居民投票轮次或专家评审占用，可用 {yuan(free)}。"
            "The pilot's voting rounds and review panels hold that money.",
            code="budget_reserved_by_rounds",
            extra={"asked_fen": amount_fen, "reserved_by_rounds_fen": held, "unreserved_fen": free},
        )
