"""Funds in, commit, disburse, return and reverse through the API; every bad input leaves the ledger as it was."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core import clock
from app.funds.models import PilotBalance
from tests.programmes.helpers import (
    API,
    YEAR,
    audit_count,
    balance,
    commit,
    funds_in,
    ledger_count,
    movement,
    ok,
    problem,
)


def _net(entries: list[dict]) -> dict[str, int]:
    """Sum a pilot's ledger by kind, reversals counted against the kind they undo."""
    out: dict[str, int] = {}
    for e in entries:
        kind = e["reverses_kind"] or e["kind"]
        out[kind] = out.get(kind, 0) + (-e["amount_fen"] if e["kind"] == "reversal" else e["amount_fen"])
    return out


async def _ledger(client, h, pilot_id) -> list[dict]:
    return ok(await client.get(f"{API}/pilots/{pilot_id}/ledger?limit=200", headers=h))["items"]


async def test_money_flows_and_sums(client, world, session):
    h, pilot = world.h, world.pilot_a1["id"]
    matching = ok(
        await client.post(
            f"{API}/pilots/{pilot}/fund-sources",
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
    donation = ok(
        await client.post(
            f"{API}/pilots/{pilot}/fund-sources",
            headers=h["staff_a1"],
            json={"kind": "donation", "payer": "张三", "document_ref": "捐赠收据001", "dated": f"{YEAR}-03-12"},
        ),
        201,
    )
    ok(await funds_in(client, h["staff_a1"], donation["id"], 50_000), 201)

    project = uuid.uuid4()
    c = ok(await commit(client, h["district"], pilot, 2_000_000, project_id=project), 201)
    ok(await commit(client, h["district"], pilot, 500_000, project_id=project), 201)  # a top-up
    ok(await movement(client, h["finance"], "disbursements", project, 1_000_000), 201)
    ok(await movement(client, h["finance_a"], "disbursements", project, 800_000), 201)
    ok(await movement(client, h["finance"], "returns", project, 700_000), 201)
    project_row = ok(await client.get(f"{API}/funds/projects/{project}", headers=h["supervisor"]))
    # committed_fen is net of what came back, as on every report and public page; the gross figure beside it.
    assert (
        project_row["committed_fen"],
        project_row["committed_gross_fen"],
        project_row["disbursed_fen"],
        project_row["returned_fen"],
        project_row["unspent_fen"],
    ) == (1_800_000, 2_500_000, 1_800_000, 700_000, 0)

    bal = await balance(client, h["district"], pilot)
    sources = bal.pop("sources")
    assert bal == {
        "pilot_id": pilot,
        "funds_in_fen": 4_050_000,
        "committed_fen": 2_500_000,
        "returned_fen": 700_000,
        "disbursed_fen": 1_800_000,
        "transferred_out_fen": 0,
        "available_fen": 4_050_000 - 1_800_000,
        "uncommitted_fen": 4_050_000 - 1_800_000,
        "reserved_by_rounds_fen": 0,
        "unreserved_fen": 4_050_000 - 1_800_000,
        "reserved_by_rounds": [],
        "reserved_by_panels_fen": 0,
        "reserved_by_panels": [],
    }
    # Drawn subsidy first, then matching funds; the return gave back to the matching funds first.
    assert [(s["kind"], s["received_fen"], s["committed_fen"], s["uncommitted_fen"]) for s in sources] == [
        ("district_subsidy", 3_000_000, 1_800_000, 1_200_000),
        ("street_matching", 1_000_000, 0, 1_000_000),
        ("donation", 50_000, 0, 50_000),
    ]

    # Reversing the return re-commits the money; reversing the first commitment then fails: it is paid out.
    entries = await _ledger(client, h["district"], pilot)
    ret = next(e for e in entries if e["kind"] == "return")
    rev = ok(
        await client.post(
            f"{API}/funds/ledger/{ret['id']}/reversal",
            headers=h["finance"],
            json={"entry_date": f"{YEAR}-06-01", "reason": "录入错误"},
        ),
        201,
    )
    assert (rev["kind"], rev["reverses_id"], rev["reverses_kind"], rev["amount_fen"]) == (
        "reversal",
        ret["id"],
        "return",
        700_000,
    )
    problem(
        await client.post(
            f"{API}/funds/ledger/{c['id']}/reversal",
            headers=h["street_a"],
            json={"entry_date": f"{YEAR}-06-01", "reason": "x"},
        ),
        403,
        "ledger_role_forbidden",
    )
    problem(
        await client.post(
            f"{API}/funds/ledger/{c['id']}/reversal",
            headers=h["district"],
            json={"entry_date": f"{YEAR}-06-01", "reason": "x"},
        ),
        409,
        "over_commitment",
    )

    bal = await balance(client, h["district"], pilot)
    assert (bal["returned_fen"], bal["available_fen"]) == (0, 4_050_000 - 2_500_000)
    net = _net(await _ledger(client, h["district"], pilot))
    assert net == {"funds_in": 4_050_000, "commitment": 2_500_000, "disbursement": 1_800_000, "return": 0}
    row = await session.get(PilotBalance, uuid.UUID(pilot))
    await session.commit()
    assert (row.funds_in_fen, row.committed_fen, row.disbursed_fen, row.returned_fen) == (
        net["funds_in"],
        net["commitment"],
        net["disbursement"],
        net["return"],
    )
    assert await audit_count(session, "ledger.commitment") == 2
    assert await audit_count(session, "ledger.reversal") == 1


async def test_reversal_of_funds_in_and_of_a_reversal(client, world):
    h = world.h
    pilot = world.pilot_b1["id"]
    entry = (await _ledger(client, h["district"], pilot))[0]
    rev = ok(
        await client.post(
            f"{API}/funds/ledger/{entry['id']}/reversal",
            headers=h["district"],
            json={"entry_date": f"{YEAR}-03-02", "reason": "重复入账"},
        ),
        201,
    )
    assert (await balance(client, h["district"], pilot))["funds_in_fen"] == 0
    problem(
        await client.post(
            f"{API}/funds/ledger/{entry['id']}/reversal",
            headers=h["district"],
            json={"entry_date": f"{YEAR}-03-02", "reason": "again"},
        ),
        409,
        "not_reversible",
    )
    problem(
        await client.post(
            f"{API}/funds/ledger/{rev['id']}/reversal",
            headers=h["district"],
            json={"entry_date": f"{YEAR}-03-02", "reason": "undo the undo"},
        ),
        409,
        "not_reversible",
    )


async def _snapshot(client, world, session):
    h = world.h
    return (
        await ledger_count(session),
        await balance(client, h["district"], world.pilot_a1["id"]),
        await balance(client, h["district"], world.pilot_b1["id"]),
    )


async def _funded_project(client, world, amount=1_000_000, paid=0):
    project = uuid.uuid4()
    ok(await commit(client, world.h["district"], world.pilot_a1["id"], amount, project_id=project), 201)
    if paid:
        ok(await movement(client, world.h["finance"], "disbursements", project, paid), 201)
    return project


def _cases():
    # (name, async function(client, world, project) -> response, status, code)
    a1 = "pilot_a1"

    def commit_amount(amount, who="district", pilot=a1, **kw):
        return lambda c, w, p: commit(c, w.h[who], getattr(w, pilot)["id"], amount, **kw)

    def funds(amount, who="district", src="subsidy_a1", day=f"{YEAR}-03-01"):
        return lambda c, w, p: funds_in(c, w.h[who], getattr(w, src)["id"], amount, day)

    def pay(amount, kind="disbursements", who="finance", day=f"{YEAR}-05-01"):
        return lambda c, w, p: movement(c, w.h[who], kind, p, amount, day)

    def new_source(kind, who="staff_a1"):
        return lambda c, w, p: c.post(
            f"{API}/pilots/{w.pilot_a1['id']}/fund-sources",
            headers=w.h[who],
            json={"kind": kind, "payer": "某单位", "document_ref": "X1", "dated": f"{YEAR}-03-01"},
        )

    return [
        ("negative funds in", funds(-100), 422, "validation_error"),
        ("zero funds in", funds(0), 422, "validation_error"),
        ("fractional funds in", funds(100.5), 422, "validation_error"),
        ("integral float funds in", funds(100.0), 422, "validation_error"),
        ("string funds in", funds("100"), 422, "validation_error"),
        ("funds in before the year", funds(100, day=f"{YEAR - 1}-12-31"), 422, "date_outside_programme"),
        ("funds in after the year", funds(100, day=f"{YEAR + 1}-01-01"), 422, "date_outside_programme"),
        ("unknown source kind", new_source("lottery_win"), 422, "validation_error"),
        ("subsidy source by hand", new_source("district_subsidy", "district"), 422, "reserved_fund_source_kind"),
        ("carry-over source by hand", new_source("carry_over", "admin"), 422, "reserved_fund_source_kind"),
        ("carry-over source by district", new_source("carry_over", "district"), 403, "ledger_role_forbidden"),
        ("staff records district subsidy", funds(100, who="staff_a1"), 403, "ledger_role_forbidden"),
        ("street records district subsidy", funds(100, who="street_a"), 403, "ledger_role_forbidden"),
        ("street b funds street a's pilot", new_source("street_matching", "street_b"), 403, "out_of_region"),
        ("other district records subsidy", funds(100, who="other_district"), 403, "out_of_region"),
        ("negative commitment", commit_amount(-1), 422, "validation_error"),
        ("zero commitment", commit_amount(0), 422, "validation_error"),
        ("fractional commitment", commit_amount(10.5), 422, "validation_error"),
        ("commitment beyond funds", commit_amount(2_000_001), 409, "insufficient_funds"),
        ("commitment beyond the cap", commit_amount(20_000_001), 422, "over_project_cap"),
        ("commitment before the year", commit_amount(100, day=f"{YEAR - 1}-06-01"), 422, "date_outside_programme"),
        ("another district commits", commit_amount(100, who="other_district"), 403, "out_of_region"),
        ("street admin commits directly", commit_amount(100, who="street_a"), 403, "role_forbidden"),
        ("finance commits", commit_amount(100, who="finance"), 403, "role_forbidden"),
        ("commitment without a decision", commit_amount(100, decision={}), 422, "decision_required"),
        (
            "commitment with two decisions",
            commit_amount(100, decision={"decision_document_ref": "X", "decision_motion_id": str(uuid.uuid4())}),
            422,
            "decision_required",
        ),
        (
            "commitment on an unknown motion",
            commit_amount(100, decision={"decision_motion_id": str(uuid.uuid4())}),
            422,
            "motion_unknown",
        ),
        ("funds in beyond the plan", funds(1), 409, "funds_in_over_plan"),
        ("unknown category", commit_amount(100, category="fireworks"), 422, "validation_error"),
        (
            "project in two pilots",
            lambda c, w, p: commit(c, w.h["district"], w.pilot_b1["id"], 100, project_id=p),
            409,
            "project_in_other_pilot",
        ),
        ("disbursement beyond commitment", pay(1_000_001), 409, "over_commitment"),
        ("negative disbursement", pay(-5), 422, "validation_error"),
        # After the year is fine (projects run past December: test_year_end), before it or in the future is not.
        ("disbursement before the year", pay(100, day=f"{YEAR - 1}-12-31"), 422, "date_outside_programme"),
        (
            "disbursement in the future",
            pay(100, day=(clock.today() + timedelta(days=1)).isoformat()),
            422,
            "date_outside_programme",
        ),
        ("street admin disburses", pay(100, who="street_a"), 403, "ledger_role_forbidden"),
        ("return beyond unspent", pay(1_000_001, kind="returns"), 409, "over_commitment"),
        (
            "unknown project",
            lambda c, w, p: movement(c, w.h["finance"], "disbursements", uuid.uuid4(), 1),
            404,
            "project_not_found",
        ),
    ]


async def test_bad_input_changes_nothing(client, world, session):
    """One world, every bad input in turn: each is a clear 4xx problem and the ledger and balances stay put."""
    project = await _funded_project(client, world)
    for name, act, status, code in _cases():
        before = await _snapshot(client, world, session)
        r = await act(client, world, project)
        assert (r.status_code, r.json().get("code")) == (status, code), (name, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), name
        assert await _snapshot(client, world, session) == before, name


async def test_commit_then_reverse_frees_funds(client, world, session):
    h, pilot = world.h, world.pilot_a1["id"]
    c = ok(await commit(client, h["district"], pilot, 3_000_000), 201)
    problem(await commit(client, h["district"], pilot, 1), 409, "insufficient_funds")
    ok(
        await client.post(
            f"{API}/funds/ledger/{c['id']}/reversal",
            headers=h["district"],
            json={"entry_date": f"{YEAR}-04-02", "reason": "立项撤销"},
        ),
        201,
    )
    ok(await commit(client, h["district"], pilot, 3_000_000), 201)
    problem(
        await client.post(
            f"{API}/funds/ledger/{c['id']}/reversal",
            headers=h["district"],
            json={"entry_date": f"{YEAR}-04-01", "reason": "x"},
        ),
        409,
        "not_reversible",
    )


async def test_commitment_needs_an_open_programme_and_a_date_by_closing(client, session, app, tree):
    from tests.programmes.helpers import create_programme, designate, make_headers, sources_of

    h = await make_headers(session, app, tree)
    p = await create_programme(client, h["district"], tree.district.id, closing_date=f"{YEAR}-09-30")
    pilot = await designate(client, h["street_a"], p["id"], tree.community_a1.id)
    await designate(client, h["street_b"], p["id"], tree.community_b1.id)
    source = (await sources_of(client, h["district"], pilot["id"]))[0]
    ok(await funds_in(client, h["district"], source["id"], 3_000_000), 201)  # money may arrive before opening
    problem(await commit(client, h["district"], pilot["id"], 100), 409, "programme_state")
    ok(await client.post(f"{API}/programmes/{p['id']}/open", headers=h["district"]))
    problem(await commit(client, h["district"], pilot["id"], 100, day=f"{YEAR}-10-01"), 422, "date_outside_programme")
    ok(await commit(client, h["district"], pilot["id"], 100, day=f"{YEAR}-09-30"), 201)


async def test_reads_are_scoped(client, world):
    h = world.h
    project = await _funded_project(client, world)
    b1 = world.pilot_b1["id"]
    for url in (f"{API}/pilots/{b1}/ledger", f"{API}/pilots/{b1}/balance", f"{API}/pilots/{b1}/fund-sources"):
        problem(await client.get(url, headers=h["staff_a1"]), 404, "pilot_not_found")
        problem(await client.get(url, headers=h["street_a"]), 404, "pilot_not_found")
        ok(await client.get(url, headers=h["supervisor"]))
        problem(await client.get(url, headers=h["evaluator"]), 403, "role_forbidden")
        problem(await client.get(url), 401, "not_authenticated")
    problem(await client.get(f"{API}/funds/projects/{project}", headers=h["staff_b1"]), 404, "project_not_found")
    problem(await client.get(f"{API}/funds/projects/{project}", headers=h["other_district"]), 404, "project_not_found")


async def test_balance_rows_hold_the_invariants_in_the_database(session, world):
    """Even a write that bypasses the service cannot over-commit: the CHECK constraints refuse it."""
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    pilot = uuid.UUID(world.pilot_a1["id"])
    with pytest.raises(IntegrityError):
        await session.execute(
            update(PilotBalance)
            .where(PilotBalance.pilot_id == pilot)
            .values(committed_fen=PilotBalance.funds_in_fen + 1)
        )
    await session.rollback()
    with pytest.raises(IntegrityError):
        await session.execute(update(PilotBalance).where(PilotBalance.pilot_id == pilot).values(disbursed_fen=1))
    await session.rollback()
    row = (await session.execute(select(PilotBalance).where(PilotBalance.pilot_id == pilot))).scalar_one()
    assert row.committed_fen == 0
