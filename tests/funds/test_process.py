"""The process binds the money: direct commitments only on a named decision and labelled, funds in within plan
unless a supplement, and year end returning each source's own unspent part to its own funder."""

import uuid

from tests.deliberation.helpers import add_motion, add_roster, close, decide, open_meeting, votes
from tests.programmes.helpers import API, YEAR, balance, commit, funds_in, make_world, movement, ok, problem
from tests.proposals.helpers import make_pworld
from tests.voting.helpers import shortlist


def assert_identity(bal: dict) -> None:
    """received = committed + uncommitted + swept, per source and for the pilot."""
    for s in bal["sources"]:
        assert s["received_fen"] == s["committed_fen"] + s["uncommitted_fen"] + s["swept_fen"], s
        assert min(s["committed_fen"], s["uncommitted_fen"], s["swept_fen"]) >= 0, s
    net = bal["committed_fen"] - bal["returned_fen"]
    assert bal["funds_in_fen"] == net + bal["available_fen"] + bal["transferred_out_fen"]
    assert sum(s["received_fen"] for s in bal["sources"]) == bal["funds_in_fen"]
    assert sum(s["committed_fen"] for s in bal["sources"]) == net
    assert sum(s["swept_fen"] for s in bal["sources"]) == bal["transferred_out_fen"]


def by_kind(bal: dict) -> dict[str, tuple[int, int, int, int]]:
    return {
        s["kind"]: (s["received_fen"], s["committed_fen"], s["uncommitted_fen"], s["swept_fen"]) for s in bal["sources"]
    }


async def meeting_decides(
    client, h, community_id, reps: list[str], *, n_for: int, title: str = "紧急排水改造项目"
) -> dict:
    """A quorate meeting of the community's 3 representatives decides an agenda item (not tied to a proposal)."""
    meeting = await open_meeting(client, h, community_id, reps, topic="紧急项目审议")
    motion = await add_motion(client, h, meeting["id"], title=title)
    await votes(client, h, motion["id"], reps, n_for=n_for, n_against=3 - n_for)
    decided = ok(await decide(client, h, motion["id"]))
    ok(await close(client, h, meeting["id"]))
    return decided


async def test_direct_commitment_needs_a_passed_motion_of_the_community_or_a_document(client, world):
    h, a1, tree = world.h, world.pilot_a1["id"], world.tree
    reps_a1 = await add_roster(client, h["staff_a1"], tree.community_a1.id, 3)
    reps_b1 = await add_roster(client, h["staff_b1"], tree.community_b1.id, 3)
    passed = await meeting_decides(client, h["staff_a1"], tree.community_a1.id, reps_a1, n_for=3)
    failed = await meeting_decides(client, h["staff_a1"], tree.community_a1.id, reps_a1, n_for=1, title="另一议题")
    elsewhere = await meeting_decides(client, h["staff_b1"], tree.community_b1.id, reps_b1, n_for=3)
    assert (passed["outcome"], failed["outcome"]) == ("passed", "failed")

    before = await balance(client, h["district"], a1)
    problem(await commit(client, h["district"], a1, 100_000, decision={}), 422, "decision_required")
    problem(
        await commit(client, h["district"], a1, 100_000, decision={"decision_motion_id": failed["id"]}),
        409,
        "motion_not_passed",
    )
    problem(
        await commit(client, h["district"], a1, 100_000, decision={"decision_motion_id": elsewhere["id"]}),
        422,
        "motion_unknown",
    )
    problem(await commit(client, h["street_a"], a1, 100_000), 403, "role_forbidden")
    assert await balance(client, h["district"], a1) == before

    by_motion, by_document = uuid.uuid4(), uuid.uuid4()
    ok(
        await commit(
            client,
            h["district"],
            a1,
            400_000,
            project_id=by_motion,
            title="紧急排水改造",
            decision={"decision_motion_id": passed["id"]},
        ),
        201,
    )
    ok(
        await commit(
            client,
            h["district"],
            a1,
            200_000,
            project_id=by_document,
            title="防汛物资",
            decision={"decision_document_ref": "福民〔2025〕18号"},
        ),
        201,
    )
    project = ok(await client.get(f"{API}/funds/projects/{by_motion}", headers=h["supervisor"]))
    assert (project["basis"], project["decision_motion_id"]) == ("direct", passed["id"])
    assert "紧急排水改造项目" in project["decision_ref"]

    # Every public figure says so: the finance page, the board and the finance report (JSON, CSV).
    public = ok(await client.get(f"{API}/public/communities/{tree.community_a1.id}/finances"))
    projects = {p["project_id"]: p for p in public["years"][0]["projects"]}
    assert projects[str(by_document)]["basis"] == "direct"
    assert projects[str(by_document)]["basis_label"] == "直接安排（未经投票公示），依据：福民〔2025〕18号"
    assert projects[str(by_motion)]["basis_label"].startswith("直接安排（未经投票公示），依据：居民代表会议决议")
    page = (await client.get(f"/board/communities/{tree.community_a1.id}/finances")).text
    assert "直接安排（未经投票公示），依据：福民〔2025〕18号" in page
    params = {"group_by": "community", "as_of": f"{YEAR}-12-31"}
    report = ok(await client.get(f"{API}/funds/reports", headers=h["finance"], params=params))
    row = next(r for r in report["rows"] if r["key"] == str(tree.community_a1.id))
    assert (row["committed_fen"], row["direct_committed_fen"]) == (600_000, 600_000)
    csv = await client.get(f"{API}/funds/reports", headers=h["finance"], params={**params, "format": "csv"})
    assert "其中直接安排（未经投票公示）（元）" in csv.content.decode("utf-8-sig")
    assert "6000.00" in csv.content.decode("utf-8-sig")


async def test_a_proposal_in_the_process_is_never_committed_directly(client, session, app, tree):
    pw = await make_pworld(client, session, app, tree)
    h, a1 = pw.h, pw.world.pilot_a1["id"]
    ok(await funds_in(client, h["district"], pw.world.subsidy_a1["id"], 3_000_000), 201)
    [proposal] = await shortlist(client, pw, [500_000])
    before = await balance(client, h["district"], a1)
    body = problem(
        await commit(client, h["district"], a1, 500_000, project_id=proposal["id"]), 409, "proposal_in_process"
    )
    assert body["state"] == "shortlisted"
    problem(
        await commit(client, h["district"], pw.world.pilot_b1["id"], 500_000, project_id=proposal["id"]),
        409,
        "project_in_other_pilot",
    )
    assert await balance(client, h["district"], a1) == before


async def test_funds_in_beyond_the_plan_only_as_a_supplement(client, session, app, tree):
    world = await make_world(client, session, app, tree, fund=False)
    h, subsidy, a1 = world.h, world.subsidy_a1["id"], world.pilot_a1["id"]
    body = problem(await funds_in(client, h["district"], subsidy, 4_000_000), 409, "funds_in_over_plan")
    assert (body["planned_fen"], body["received_fen"], body["asked_fen"]) == (3_000_000, 0, 4_000_000)
    assert "计划 30,000.00元" in body["detail"] and "本次登记 40,000.00元" in body["detail"]
    ok(await funds_in(client, h["district"], subsidy, 3_000_000), 201)
    problem(await funds_in(client, h["district"], subsidy, 1), 409, "funds_in_over_plan")
    problem(
        await client.post(
            f"{API}/fund-sources/{subsidy}/funds-in",
            headers=h["district"],
            json={"amount_fen": 1_000_000, "entry_date": f"{YEAR}-03-05", "supplement": True},
        ),
        422,
        "supplement_needs_document",
    )
    assert (await balance(client, h["district"], a1))["funds_in_fen"] == 3_000_000
    extra = ok(await funds_in(client, h["district"], subsidy, 1_000_000, supplement=True), 201)
    assert extra["supplement"] is True

    bal = await balance(client, h["district"], a1)
    assert by_kind(bal) == {"district_subsidy": (4_000_000, 0, 4_000_000, 0)}
    public = ok(await client.get(f"{API}/public/communities/{tree.community_a1.id}/finances"))
    [source] = public["years"][0]["sources"]
    assert (source["planned_fen"], source["received_fen"]) == (3_000_000, 4_000_000)
    report = ok(
        await client.get(
            f"{API}/funds/reports", headers=h["finance"], params={"group_by": "fund_source", "as_of": f"{YEAR}-12-31"}
        )
    )
    row = next(r for r in report["rows"] if r["key"] == "district_subsidy")
    # b1's subsidy is planned too but not received yet.
    assert (row["planned_fen"], row["funds_in_fen"]) == (6_000_000, 4_000_000)


async def test_year_end_returns_each_sources_unspent_part_to_its_funder(client, world, session):
    h, a1, tree = world.h, world.pilot_a1["id"], world.tree
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
    assert matching["returns_to"] == "street"
    ok(await funds_in(client, h["street_a"], matching["id"], 1_000_000), 201)
    donation = ok(
        await client.post(
            f"{API}/pilots/{a1}/fund-sources",
            headers=h["staff_a1"],
            json={
                "kind": "donation",
                "payer": "张三",
                "document_ref": "捐赠协议001",
                "dated": f"{YEAR}-03-12",
                "planned_fen": 500_000,
                "returns_to": "community",
            },
        ),
        201,
    )
    ok(await funds_in(client, h["staff_a1"], donation["id"], 500_000), 201)

    # The subsidy first, then the matching funds.
    project = uuid.uuid4()
    ok(await commit(client, h["district"], a1, 3_500_000, project_id=project), 201)
    bal = await balance(client, h["district"], a1)
    assert_identity(bal)
    assert by_kind(bal) == {
        "district_subsidy": (3_000_000, 3_000_000, 0, 0),
        "street_matching": (1_000_000, 500_000, 500_000, 0),
        "donation": (500_000, 0, 500_000, 0),
    }
    # A return gives back last-drawn first: the matching funds, then the subsidy.
    ok(await movement(client, h["finance"], "disbursements", project, 2_000_000), 201)
    ok(await movement(client, h["finance"], "returns", project, 1_000_000), 201)
    bal = await balance(client, h["district"], a1)
    assert_identity(bal)
    assert by_kind(bal)["street_matching"] == (1_000_000, 0, 1_000_000, 0)
    assert by_kind(bal)["district_subsidy"] == (3_000_000, 2_500_000, 500_000, 0)

    closed = ok(await client.post(f"{API}/programmes/{world.programme['id']}/close", headers=h["district"]))
    mine = sorted(
        (x["source_kind"], x["action"], x["amount_fen"], x["returns_to"])
        for x in closed["year_end"]
        if x["pilot_id"] == a1
    )
    assert mine == [
        ("district_subsidy", "sweep", 500_000, "district"),
        ("donation", "sweep", 500_000, "community"),
        ("street_matching", "sweep", 1_000_000, "street"),
    ]
    bal = await balance(client, h["district"], a1)
    assert_identity(bal)
    assert by_kind(bal) == {
        "district_subsidy": (3_000_000, 2_500_000, 0, 500_000),
        "street_matching": (1_000_000, 0, 0, 1_000_000),
        "donation": (500_000, 0, 0, 500_000),
    }
    entries = ok(await client.get(f"{API}/pilots/{a1}/ledger?limit=200", headers=h["district"]))["items"]
    sweeps = {e["fund_source_id"]: e["amount_fen"] for e in entries if e["kind"] == "sweep"}
    assert sweeps == {world.subsidy_a1["id"]: 500_000, matching["id"]: 1_000_000, donation["id"]: 500_000}

    # A late return after closing goes back to the subsidy and is swept to the district again.
    ok(await movement(client, h["finance"], "returns", project, 300_000, f"{YEAR}-12-30"), 201)
    again = ok(await client.post(f"{API}/programmes/{world.programme['id']}/year-end", headers=h["district"]))
    assert [(x["source_kind"], x["amount_fen"], x["returns_to"]) for x in again] == [
        ("district_subsidy", 300_000, "district")
    ]
    assert_identity(await balance(client, h["district"], a1))

    public = ok(await client.get(f"{API}/public/communities/{tree.community_a1.id}/finances"))
    sources = {s["kind"]: s for s in public["years"][0]["sources"]}
    assert (sources["street_matching"]["swept_fen"], sources["street_matching"]["returns_to_label"]) == (
        1_000_000,
        "退回街道",
    )
    assert (sources["district_subsidy"]["swept_fen"], sources["district_subsidy"]["planned_fen"]) == (
        800_000,
        3_000_000,
    )
    assert sources["donation"]["payer"] is None
    page = (await client.get(f"/board/communities/{tree.community_a1.id}/finances")).text
    assert "退回街道" in page and "按协议转入社区公益金" in page
    report = ok(
        await client.get(
            f"{API}/funds/reports", headers=h["finance"], params={"group_by": "fund_source", "as_of": f"{YEAR}-12-31"}
        )
    )
    rows = {r["key"]: r for r in report["rows"]}
    # b1's untouched subsidy of 30,000 was swept as well.
    assert rows["district_subsidy"]["transferred_out_fen"] == 800_000 + 3_000_000
    assert rows["street_matching"]["transferred_out_fen"] == 1_000_000
    assert (rows["donation"]["planned_fen"], rows["donation"]["transferred_out_fen"]) == (500_000, 500_000)


async def test_carry_over_keeps_each_sources_funder(client, session, app, tree):
    from tests.programmes.helpers import create_programme, designate

    world = await make_world(client, session, app, tree, rules={"year_end": "carry_over"})
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
    ok(await commit(client, h["district"], a1, 2_500_000), 201)
    nxt = await create_programme(client, h["district"], tree.district.id, year=YEAR + 1)
    next_a1 = await designate(client, h["street_a"], nxt["id"], tree.community_a1.id)
    ok(await client.post(f"{API}/programmes/{world.programme['id']}/close", headers=h["district"]))
    bal = await balance(client, h["district"], next_a1["id"])
    assert_identity(bal)
    carried = sorted((s["returns_to"], s["received_fen"]) for s in bal["sources"] if s["kind"] == "carry_over")
    assert carried == [("district", 500_000), ("street", 1_000_000)]
