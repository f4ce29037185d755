"""Arrange votes through the API, as staff and residents would: a shortlist, a roll, a round, residents' phones."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Role
from app.voting.models import VotingRound
from tests.deliberation.helpers import add_motion, add_roster, close, decide, open_meeting, votes
from tests.factories import add_user, bearer
from tests.programmes.helpers import API, ok
from tests.proposals.helpers import PWorld, in_deliberation


def lines(cost_fen: int) -> list[dict]:
    """One budget line costing cost_fen."""
    return [{"item": "项目费用", "unit": "项", "quantity": 1, "unit_price_fen": cost_fen}]


async def shortlist(client, pw: PWorld, costs: list[int], titles: list[str] | None = None) -> list[dict]:
    """Proposals of community a1 with these costs, passed by one quorate representative meeting (入围)."""
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    proposals = [
        await in_deliberation(
            client, pw, title=(titles or [])[i] if titles else f"项目{i + 1}", budget_lines=lines(cost)
        )
        for i, cost in enumerate(costs)
    ]
    roster = ok(await client.get(f"{API}/communities/{a1}/representatives", headers=h))["items"]
    reps = [r["id"] for r in roster] or await add_roster(client, h, a1, 3)
    meeting = await open_meeting(client, h, a1, reps)
    for p in proposals:
        motion = await add_motion(client, h, meeting["id"], p["id"])
        await votes(client, h, motion["id"], reps, n_for=3)
        ok(await decide(client, h, motion["id"]))
    ok(await close(client, h, meeting["id"]))
    return proposals


@dataclass
class Voter:
    """A resident with a phone, their headers, and whether they are on the roll."""

    phone: str
    name: str
    h: dict[str, str]


async def resident(session: AsyncSession, app, region, phone: str, name: str = "居民") -> Voter:
    """A resident account whose login phone is `phone`."""
    user = await add_user(
        session,
        Role.resident,
        region,
        username=f"r-{uuid.uuid4().hex[:8]}",
        phone=phone,
        secret_key=app.state.settings.secret_key,
    )
    return Voter(phone, name, await bearer(session, app, user))


def roll_csv(rows: list[tuple[str, ...]], header: str = "手机号,姓名,子单元,户号") -> bytes:
    """A roll file (UTF-8)."""
    return ("\n".join([header, *(",".join(r) for r in rows)]) + "\n").encode()


async def import_roll(client, h, community_id, data: bytes):
    """POST a roll file (the response, unchecked)."""
    return await client.post(
        f"{API}/communities/{community_id}/voter-roll/import", headers=h, files={"file": ("roll.csv", data, "text/csv")}
    )


def window(opens_in: timedelta = timedelta(seconds=-60), lasts: timedelta = timedelta(days=3)) -> dict:
    """opens_at / closes_at around now."""
    opens = datetime.now(UTC) + opens_in
    return {"opens_at": opens.isoformat(), "closes_at": (opens + lasts).isoformat()}


async def create_round(client, h, pilot_id, proposals: list[dict], **over):
    """POST a round over these proposals (the response, unchecked)."""
    body = {"title": "2025年民生微实事居民投票", "proposal_ids": [p["id"] for p in proposals], **window(), **over}
    return await client.post(f"{API}/pilots/{pilot_id}/voting-rounds", headers=h, json=body)


async def end_window(session: AsyncSession, round_id) -> None:
    """Move the round's window into the past, as if its closing time had come."""
    now = datetime.now(UTC)
    await session.execute(
        update(VotingRound)
        .where(VotingRound.id == uuid.UUID(str(round_id)))
        .values(opens_at=now - timedelta(days=3), closes_at=now - timedelta(seconds=1))
    )
    await session.commit()


def cast(client, voter: Voter, round_id, choices: list[int], key: str | None = None):
    """POST a ballot (the response, unchecked)."""
    headers = {**voter.h, **({"Idempotency-Key": key} if key else {})}
    return client.post(f"{API}/voting/rounds/{round_id}/ballots", headers=headers, json={"choices": choices})
