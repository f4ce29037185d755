"""Year end: uncommitted money swept back to the district, or carried over to next year's pilot."""

import uuid

from tests.programmes.helpers import (
    API,
    YEAR,
    audit_count,
    balance,
    commit,
    create_programme,
    designate,
    make_world,
    movement,
    ok,
    problem,
    sources_of,
)


async def _ledger(client, h, pilot_id) -> list[dict]:
    return ok(await client.get(f"{API}/pilots/{pilot_id}/ledger", headers=h))["items"]


async def test_sweep_back_and_rerun_for_late_returns(client, world, session):
    h, a1, pid = world.h, world.pilot_a1["id"], world.programme["id"]
    project = uuid.uuid4()
    ok(await commit(client, h["district"], a1, 1_000_000, project_id=project), 201)
    problem(await client.post(f"{API}/programmes/{pid}/close", headers=h["street_a"]), 403, "role_forbidden")
    closed = ok(await client.post(f"{API}/programmes/{pid}/close", headers=h["district"]))
    assert closed["programme"]["status"] == "closed"
    lines = {line["pilot_id"]: (line["action"], line["amount_fen"]) for line in closed["year_end"]}
    assert lines == {a1: ("sweep", 2_000_000), world.pilot_b1["id"]: ("sweep", 3_000_000)}
    bal = await balance(client, h["district"], a1)
    assert (bal["transferred_out_fen"], bal["available_fen"], bal["committed_fen"]) == (2_000_000, 0, 1_000_000)
    sweep = [e for e in await _ledger(client, h["district"], a1) if e["kind"] == "sweep"]
    assert [(e["amount_fen"], e["entry_date"]) for e in sweep] == [(2_000_000, f"{YEAR}-12-31")]
    assert await audit_count(session, "programme.close") == 1

    # After closing: no new commitments, but the project is still paid and may give money back.
    problem(await commit(client, h["district"], a1, 1), 409, "programme_state")
    ok(await movement(client, h["finance"], "disbursements", project, 600_000, f"{YEAR}-12-20"), 201)
    ok(await movement(client, h["finance"], "returns", project, 400_000, f"{YEAR}-12-30"), 201)
    assert (await balance(client, h["district"], a1))["available_fen"] == 400_000
    again = ok(await client.post(f"{API}/programmes/{pid}/year-end", headers=h["district"]))
    assert [(x["pilot_id"], x["action"], x["amount_fen"]) for x in again] == [(a1, "sweep", 400_000)]
    assert ok(await client.post(f"{API}/programmes/{pid}/year-end", headers=h["district"])) == []
    assert await audit_count(session, "programme.year_end") == 1
    report = ok(
        await client.get(
            f"{API}/funds/reports", headers=h["finance"], params={"group_by": "street", "as_of": f"{YEAR}-12-31"}
        )
    )
    assert (report["totals"]["transferred_out_fen"], report["totals"]["remaining_fen"]) == (5_400_000, 0)
    problem(await client.post(f"{API}/programmes/{pid}/close", headers=h["district"]), 409, "programme_not_open")


async def test_carry_over_to_next_years_pilot(client, session, app, tree):
    world = await make_world(client, session, app, tree, rules={"year_end": "carry_over"})
    h, a1, b1 = world.h, world.pilot_a1["id"], world.pilot_b1["id"]
    ok(await commit(client, h["district"], a1, 1_000_000), 201)
    nxt = await create_programme(client, h["district"], tree.district.id, year=YEAR + 1)
    next_a1 = await designate(client, h["street_a"], nxt["id"], tree.community_a1.id)

    closed = ok(await client.post(f"{API}/programmes/{world.programme['id']}/close", headers=h["district"]))
    lines = {x["pilot_id"]: x for x in closed["year_end"]}
    assert (lines[a1]["action"], lines[a1]["amount_fen"], lines[a1]["target_pilot_id"]) == (
        "carry_over",
        2_000_000,
        next_a1["id"],
    )
    # b1 has no pilot next year, so its money goes back to the district.
    assert (lines[b1]["action"], lines[b1]["amount_fen"]) == ("sweep", 3_000_000)

    old = [e for e in await _ledger(client, h["district"], a1) if e["kind"] == "carry_over"]
    assert [(e["amount_fen"], e["counterpart_pilot_id"]) for e in old] == [(2_000_000, next_a1["id"])]
    new_bal = await balance(client, h["district"], next_a1["id"])
    assert (new_bal["funds_in_fen"], new_bal["available_fen"]) == (2_000_000, 2_000_000)
    carried = [s for s in await sources_of(client, h["district"], next_a1["id"]) if s["kind"] == "carry_over"]
    assert len(carried) == 1 and carried[0]["planned_fen"] == 2_000_000
    [entry] = await _ledger(client, h["district"], next_a1["id"])
    assert (entry["kind"], entry["entry_date"], entry["fund_source_id"]) == (
        "funds_in",
        f"{YEAR + 1}-01-01",
        carried[0]["id"],
    )
    assert (await balance(client, h["district"], a1))["available_fen"] == 0
    # The carried amount is one leg of a transfer: neither reversed alone nor topped up by hand.
    problem(
        await client.post(
            f"{API}/funds/ledger/{entry['id']}/reversal",
            headers=h["district"],
            json={"entry_date": f"{YEAR + 1}-01-02", "reason": "x"},
        ),
        409,
        "not_reversible",
    )
    problem(
        await client.post(
            f"{API}/fund-sources/{carried[0]['id']}/funds-in",
            headers=h["admin"],
            json={"amount_fen": 1, "entry_date": f"{YEAR + 1}-01-02"},
        ),
        422,
        "reserved_fund_source_kind",
    )
    problem(
        await client.post(
            f"{API}/fund-sources/{carried[0]['id']}/funds-in",
            headers=h["staff_a1"],
            json={"amount_fen": 1, "entry_date": f"{YEAR + 1}-01-02"},
        ),
        403,
        "ledger_role_forbidden",
    )

    by_year = ok(
        await client.get(
            f"{API}/funds/reports", headers=h["finance"], params={"group_by": "year", "as_of": f"{YEAR + 1}-12-31"}
        )
    )
    rows = {r["key"]: r for r in by_year["rows"]}
    assert (rows[str(YEAR)]["transferred_out_fen"], rows[str(YEAR)]["remaining_fen"]) == (5_000_000, 0)
    assert (rows[str(YEAR + 1)]["funds_in_fen"], rows[str(YEAR + 1)]["remaining_fen"]) == (2_000_000, 2_000_000)
