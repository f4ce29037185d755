"""以奖代补 through the ledger: a final list's subsidies are received and committed against an earmarked award
source of the awarded community's pilot, paid by finance, and shown in the finance reports and the public page."""

import uuid
from datetime import date

from sqlalchemy import select

from app.core import clock
from app.funds.models import LedgerEntry
from tests.awards.test_award_runs import object_to, published_run
from tests.notices.helpers import shift
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count

# The programme of the test world is 2025's: its notice is moved back into that year, and the list made final in
# its December, or (as evaluation usually runs) after the programme has closed.
YEAR_END = date(2025, 12, 20)
NEXT_SPRING = date(2026, 3, 10)
KEEP = {"outcome": "dismissed", "reply": "经核查，项目台账齐全，维持评审结果。"}


async def test_a_final_subsidy_is_committed_against_the_award_fund_and_paid(client, session, app, pw):
    ew, url, notice, items = await published_run(client, session, app, pw)
    h, finance, p2 = ew.h["district"], ew.h["finance"], ew.projects["p2"]
    pay = f"{url}/subsidies/{p2}/payments"
    problem(await client.post(pay, headers=finance, json={}), 409, "award_run_state")
    kept = await object_to(client, session, notice, items["project"])
    ok(await client.post(f"{url}/objections/{kept}/decision", headers=h, json=KEEP))
    await shift(session, notice["id"], (clock.today() - date(2025, 12, 1)).days)
    with clock.travelling(YEAR_END):  # inside the programme year, which still takes commitments
        final = ok(await client.post(f"{url}/finalisation", headers=h))
        [subsidy] = final["subsidies"]
        assert (subsidy["project_id"], subsidy["amount_fen"]) == (p2, 1_000_000)
        problem(await client.post(f"{url}/finalisation", headers=h), 409, "award_run_state")  # never twice

        pilot = ew.pw.world.pilot_a1["id"]
        balance = ok(await client.get(f"{API}/pilots/{pilot}/balance", headers=finance))
        award = next(s for s in balance["sources"] if s["kind"] == "award_subsidy")
        assert (award["received_fen"], award["committed_fen"], award["uncommitted_fen"]) == (1_000_000, 1_000_000, 0)
        ledger = ok(await client.get(f"{API}/funds/projects/{subsidy['ledger_project_id']}", headers=finance))
        assert (ledger["committed_fen"], ledger["disbursed_fen"]) == (1_000_000, 0)

        entries = await count(session, LedgerEntry)
        problem(await client.post(pay, headers=h, json={}), 403, "role_forbidden")
        problem(await client.post(pay, headers=finance, json={"amount_fen": 1_000_001}), 409, "over_commitment")
        problem(
            await client.post(f"{url}/subsidies/{ew.projects['p1']}/payments", headers=finance, json={}),
            404,
            "subsidy_not_found",
        )
        assert await count(session, LedgerEntry) == entries
        ok(await client.post(pay, headers=finance, json={"amount_fen": 400_000}), 201)
        paid = ok(await client.post(pay, headers=finance, json={}), 201)
        assert paid["amount_fen"] == 600_000 and paid["kind"] == "disbursement"
        problem(await client.post(pay, headers=finance, json={}), 409, "subsidy_paid")

        public = ok(await client.get(f"{API}/public/communities/{ew.pw.tree.community_a1.id}/finances"))
        year = public["years"][0]
        assert any(s["kind_label"] == "以奖代补奖励资金" and s["received_fen"] == 1_000_000 for s in year["sources"])
        shown = next(p for p in year["projects"] if p["project_id"] == subsidy["ledger_project_id"])
        assert (shown["committed_fen"], shown["disbursed_fen"]) == (1_000_000, 1_000_000)
        report = ok(
            await client.get(
                f"{API}/funds/reports/projects", headers=finance, params={"year": 2025, "as_of": "2025-12-20"}
            )
        )
        row = next(r for r in report["rows"] if r["project_id"] == subsidy["ledger_project_id"])
        assert row["title"].startswith("以奖代补：") and row["disbursed_fen"] == 1_000_000


async def test_ordinary_commitments_never_draw_on_award_money(client, session, app, pw):
    ew, url, notice, _ = await published_run(client, session, app, pw)
    await shift(session, notice["id"], (clock.today() - date(2025, 12, 1)).days)
    with clock.travelling(YEAR_END):
        ok(await client.post(f"{url}/finalisation", headers=ew.h["district"]))
        pilot = ew.pw.world.pilot_a1["id"]
        balance = ok(await client.get(f"{API}/pilots/{pilot}/balance", headers=ew.h["finance"]))
        # What the pilot still has is its own money: the award source is committed to its award alone.
        others = sum(s["uncommitted_fen"] for s in balance["sources"] if s["kind"] != "award_subsidy")
        assert balance["available_fen"] == others


async def test_a_list_made_final_after_the_programme_closed_still_commits_its_subsidies(client, session, app, pw):
    ew, url, notice, _ = await published_run(client, session, app, pw)
    h, finance, p2 = ew.h["district"], ew.h["finance"], ew.projects["p2"]
    await shift(session, notice["id"], (clock.today() - date(2025, 12, 1)).days)
    with clock.travelling(NEXT_SPRING):
        ok(await client.post(f"{API}/programmes/{ew.pw.world.programme['id']}/close", headers=h))
        [subsidy] = ok(await client.post(f"{url}/finalisation", headers=h))["subsidies"]
        entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.id == uuid.UUID(subsidy["ledger_entry_id"])))
        assert (entry.kind.value, entry.entry_date, entry.amount_fen) == ("commitment", NEXT_SPRING, 1_000_000)
        paid = ok(await client.post(f"{url}/subsidies/{p2}/payments", headers=finance, json={}), 201)
        assert (paid["amount_fen"], paid["entry_date"]) == (1_000_000, NEXT_SPRING.isoformat())
