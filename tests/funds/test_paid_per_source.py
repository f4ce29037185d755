"""Payments and returns per fund source: a payment spends the district's money before the street's, a return gives
back the unpaid rest last first, undoing a commitment moves what was paid from it, and the migration's backfill
attributes old payments by the same rules."""

import importlib.util
import uuid
from pathlib import Path

from sqlalchemy import delete, func, select, text, update

from app.funds import rules
from app.funds.models import FundPayment, FundSource, LedgerEntry
from tests.programmes.helpers import API, YEAR, balance, commit, funds_in, movement, ok

_MIGRATION = Path(__file__).parents[2] / "alembic" / "versions" / "0028_paid_per_source.py"


def test_unpay_and_reattribute_rules():
    # A payment's own shares first (as far as still paid), then the other paid money last first.
    assert rules.unpay_split([("d", 500)], [("d", 300), ("s", 400)], 500) == [("d", -300), ("s", -200)]
    # A source paid beyond its committed share hands the excess to the next sources with room, in order.
    assert rules.reattribute_paid([("c", 0), ("d", 100), ("s", 500)], {"d": 300}) == [("d", -200), ("s", 200)]
    assert rules.reattribute_paid([("d", 300)], {"d": 300}) == []


def _by_kind(bal: dict) -> dict[str, tuple[int, int]]:
    """(committed, paid) of each source; and the invariants every source keeps."""
    for s in bal["sources"]:
        assert 0 <= s["paid_fen"] <= s["committed_fen"] <= s["received_fen"] - s["swept_fen"], s
    assert sum(s["paid_fen"] for s in bal["sources"]) == bal["disbursed_fen"], bal
    return {s["kind"]: (s["committed_fen"], s["paid_fen"]) for s in bal["sources"]}


async def _paid_rows(session) -> dict[tuple, int]:
    rows = await session.execute(
        select(FundPayment.entry_id, FundPayment.fund_source_id, func.sum(FundPayment.amount_fen)).group_by(
            FundPayment.entry_id, FundPayment.fund_source_id
        )
    )
    return {(e, s): int(a) for e, s, a in rows.all() if a}


class _WithEntryYear:
    """0028's connection as of a later schema: its payment rows also name their entry's year (0030)."""

    def __init__(self, conn, years):
        self.conn, self.years = conn, years

    def execute(self, statement, rows=None):
        if rows and getattr(statement, "table", None) is not None and statement.table.name == "fund_payment":
            return self.conn.execute(
                FundPayment.__table__.insert(), [{**r, "entry_year": self.years[r["entry_id"]]} for r in rows]
            )
        return self.conn.execute(statement) if rows is None else self.conn.execute(statement, rows)


async def test_payments_returns_and_reversals_per_source(client, world, session):
    h, a1 = world.h, world.pilot_a1["id"]
    matching = ok(
        await client.post(
            f"{API}/pilots/{a1}/fund-sources",
            headers=h["street_a"],
            json={
                "kind": "street_matching",
                "payer": "莲花街道办事处",
                "document_ref": "莲街〔2025〕8号",
                "dated": f"{YEAR}-03-10",
                "planned_fen": 1_000_000,
            },
        ),
        201,
    )
    ok(await funds_in(client, h["street_a"], matching["id"], 1_000_000), 201)
    project = uuid.uuid4()
    first = ok(await commit(client, h["district"], a1, 2_000_000, project_id=project), 201)
    ok(await commit(client, h["district"], a1, 1_500_000, project_id=project), 201)
    assert _by_kind(await balance(client, h["finance"], a1)) == {
        "district_subsidy": (3_000_000, 0),
        "street_matching": (500_000, 0),
    }
    # The district's money is spent first.
    paid = ok(await movement(client, h["finance"], "disbursements", project, 1_200_000), 201)
    assert _by_kind(await balance(client, h["finance"], a1)) == {
        "district_subsidy": (3_000_000, 1_200_000),
        "street_matching": (500_000, 0),
    }
    # Undoing the first commitment leaves the subsidy bearing 1,000,000 of which 1,200,000 was paid: 200,000 of the
    # payment moves to the matching funds.
    ok(
        await client.post(
            f"{API}/funds/ledger/{first['id']}/reversal",
            headers=h["district"],
            json={"entry_date": f"{YEAR}-05-02", "reason": "重复承诺"},
        ),
        201,
    )
    assert _by_kind(await balance(client, h["finance"], a1)) == {
        "district_subsidy": (1_000_000, 1_000_000),
        "street_matching": (500_000, 200_000),
    }
    # Undoing the payment takes back its own shares as far as they are still paid, the rest last first.
    ok(
        await client.post(
            f"{API}/funds/ledger/{paid['id']}/reversal",
            headers=h["finance"],
            json={"entry_date": f"{YEAR}-05-03", "reason": "付款退票"},
        ),
        201,
    )
    assert _by_kind(await balance(client, h["finance"], a1)) == {
        "district_subsidy": (1_000_000, 0),
        "street_matching": (500_000, 0),
    }
    ok(await movement(client, h["finance"], "disbursements", project, 300_000, f"{YEAR}-05-04"), 201)
    # A return gives back unpaid money, the street's first.
    ok(await movement(client, h["finance"], "returns", project, 200_000, f"{YEAR}-05-05"), 201)
    assert _by_kind(await balance(client, h["finance"], a1)) == {
        "district_subsidy": (1_000_000, 300_000),
        "street_matching": (300_000, 0),
    }
    # Nothing is paid beyond the commitment: 1,000,000 is committed and unpaid in all.
    over = await movement(client, h["finance"], "disbursements", project, 1_000_001, f"{YEAR}-05-06")
    assert over.status_code == 409 and over.json()["code"] == "over_commitment"

    # The finance report by source says the same, as of any day, and its rows add up to its totals.
    report = ok(
        await client.get(
            f"{API}/funds/reports",
            headers=h["finance"],
            params={"group_by": "fund_source", "as_of": f"{YEAR}-12-31", "region_id": str(world.tree.community_a1.id)},
        )
    )
    rows = {
        r["key"]: [r[k] for k in ("funds_in_fen", "committed_fen", "disbursed_fen", "returned_fen")]
        for r in report["rows"]
    }
    assert rows == {
        "district_subsidy": [3_000_000, 1_000_000, 300_000, 0],
        "street_matching": [1_000_000, 500_000, 0, 200_000],
    }
    for k in ("funds_in_fen", "committed_fen", "disbursed_fen", "returned_fen", "remaining_fen"):
        assert sum(r[k] for r in report["rows"]) == report["totals"][k], k
    mid = ok(
        await client.get(
            f"{API}/funds/reports",
            headers=h["finance"],
            params={"group_by": "fund_source", "as_of": f"{YEAR}-05-02", "region_id": str(world.tree.community_a1.id)},
        )
    )
    assert {r["key"]: r["disbursed_fen"] for r in mid["rows"]} == {
        "district_subsidy": 1_000_000,
        "street_matching": 200_000,
    }

    # The migration's backfill, run on these books without their payment rows, attributes them the same way.
    made = await _paid_rows(session)
    spec = importlib.util.spec_from_file_location("migration_0028", _MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    # fund_payment is append-only on PostgreSQL (0033): the rows go as before the migration that added them.
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SET LOCAL session_replication_role = replica"))
    await session.execute(delete(FundPayment))
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SET LOCAL session_replication_role = origin"))
    await session.execute(update(FundSource).values(paid_fen=0))
    years = dict((await session.execute(select(LedgerEntry.id, LedgerEntry.programme_year))).all())
    await session.run_sync(lambda s: migration.backfill(_WithEntryYear(s.connection(), years)))
    assert await _paid_rows(session) == made
    paid_now = dict(
        (
            await session.execute(
                select(FundSource.kind, FundSource.paid_fen).where(FundSource.pilot_id == uuid.UUID(a1))
            )
        ).all()
    )
    assert paid_now == {"district_subsidy": 300_000, "street_matching": 0}
