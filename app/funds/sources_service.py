"""Fund sources a person sets up for a pilot (the subsidy and carry-overs are opened by the service)."""

import uuid
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import Actor, record
from app.core.errors import Conflict, Unprocessable
from app.funds import rules
from app.funds.models import FundSource, FundSourceKind, ReturnTarget
from app.programmes.models import ProgrammeStatus
from app.programmes.service import PilotContext


async def create_source(
    session: AsyncSession,
    actor: Actor,
    ctx: PilotContext,
    kind: FundSourceKind,
    payer: str,
    document_ref: str,
    dated: date,
    *,
    planned_fen: int | None = None,
    note: str | None = None,
    returns_to: ReturnTarget | None = None,
) -> FundSource:
    """A new source of money for the pilot (street matching, donation, ...), with its payer and document."""
    if kind in rules.RESERVED_SOURCE_KINDS:
        raise Unprocessable(
            f"A {kind.value} source is opened by the service, not by hand.", code="reserved_fund_source_kind"
        )
    if ctx.programme.status == ProgrammeStatus.closed:
        raise Conflict("The programme is closed; no new fund sources.", code="programme_state")
    source = FundSource(
        pilot_id=ctx.pilot.id,
        kind=kind,
        payer=payer,
        document_ref=document_ref,
        dated=dated,
        planned_fen=planned_fen,
        note=note,
        created_by=actor.id,
        returns_to=returns_to or rules.default_return_target(kind),
    )
    session.add(source)
    await session.flush()
    await record(
        session,
        actor,
        "fund_source.create",
        "fund_source",
        source.id,
        after={c.name: getattr(source, c.name) for c in FundSource.__table__.columns},
        region_path=ctx.pilot.region_path,
    )
    return source


def list_statement(pilot_id: uuid.UUID) -> Select:
    """The pilot's sources, oldest first."""
    return select(FundSource).where(FundSource.pilot_id == pilot_id).order_by(FundSource.created_at, FundSource.id)


async def list_sources(session: AsyncSession, pilot_id: uuid.UUID) -> list[FundSource]:
    """The pilot's sources, oldest first (a pilot has a handful)."""
    return list((await session.scalars(list_statement(pilot_id))).all())
