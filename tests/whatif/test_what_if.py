"""POST /api/v1/allocation/what-if: staff upload a .pb file and see what a rule would fund."""

from pathlib import Path

import pytest

from app.auth.models import Role
from app.core.errors import PROBLEM_JSON
from app.whatif import service
from tests.factories import make_tree, user_for

URL = "/api/v1/allocation/what-if"

# Hand-computed. Budget 8, 4 voters, so each voter's equal share is 2.
#   greedy (by votes): A (3 votes, 6) leaves 2; C (2 votes, 2) fits; B (1 vote) no longer fits.
#   mes: price per unit of cost is A 2/6 = 1/3 < C 1/2 < B 1; A is bought with all of v1-v3's money,
#   so C's supporters have nothing left, and v4 buys B alone: {A, B}, cost 8, exhaustive.
TOY = """META
key;value
description;手算示例 hand-computed
num_projects;3
num_votes;4
budget;8
vote_type;approval
PROJECTS
project_id;cost;name
A;6;playground
B;2;bench
C;2;lights
VOTES
voter_id;vote
v1;A,C
v2;A,C
v3;A
v4;B
"""


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def staff(session, app, tree):
    """Auth headers of a community staff member (who plans a community's money)."""
    return (await user_for(session, app, tree, Role.community_staff))[1]


async def post(client, headers, text: str | bytes, **fields):
    """Upload text as the .pb file with the given form fields."""
    data = text.encode() if isinstance(text, str) else text
    return await client.post(URL, files={"file": ("toy.pb", data, "text/plain")}, data=fields, headers=headers)


def assert_problem(r, status: int, code: str) -> dict:
    """The response is a problem+json with this status and code; its body."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    body = r.json()
    assert body["code"] == code and body["status"] == status
    return body


async def test_equal_shares_on_a_hand_computed_instance(client, staff):
    r = await post(client, staff, TOY, rule="mes")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["selected"] == ["A", "B"] and body["cost"] == 8 and body["budget"] == 8
    assert (body["rule"], body["tie_break"], body["n_voters"]) == ("mes", "votes_cost_order", 4)
    assert body["voter_budget"] == "2/1" and body["voter_budget_increment"] is None
    assert body["meta"] == {
        "description": "手算示例 hand-computed",
        "num_projects": 3,
        "num_votes": 4,
        "budget": "8",
        "vote_type": "approval",
        "money_scale": 1,
    }
    why = {e["project_id"]: e for e in body["explanations"]}
    assert why["A"]["position"] == 1 and why["A"]["code"] == "funded_equal_shares"
    assert why["A"]["payment"] == {
        "per_supporter": "2/1",
        "full_payers": 3,
        "partial_payers": 0,
        "partial_total": "0/1",
    }
    assert why["B"]["position"] == 2 and why["B"]["payment"]["per_supporter"] == "2/1"
    assert not why["C"]["selected"] and why["C"]["code"] == "supporters_cannot_afford"
    assert why["C"]["money_left"] == "0/1" and why["C"]["votes"] == 2


async def test_greedy_and_mes_add1_on_the_same_file(client, staff):
    greedy = (await post(client, staff, TOY, rule="greedy", tie_break="lexico")).json()
    assert greedy["selected"] == ["A", "C"] and greedy["voter_budget"] is None
    skipped = next(e for e in greedy["explanations"] if e["project_id"] == "B")
    assert (skipped["code"], skipped["money_left"]) == ("not_enough_money", "0/1")
    # Equal shares was already exhaustive, so raising the shares changes nothing.
    add1 = await post(client, staff, TOY, rule="mes-add1", voter_budget_increment="3")
    assert add1.status_code == 200, add1.text
    body = add1.json()
    assert (body["selected"], body["voter_budget"], body["voter_budget_increment"]) == (["A", "B"], "2/1", 3)


async def test_decimal_money_is_scaled_and_reported(client, staff):
    text = TOY.replace("budget;8", "budget;8.5").replace("C;2;lights", "C;2.25;lights")
    r = await post(client, staff, text, rule="greedy")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["meta"]["money_scale"] == 100 and body["meta"]["budget"] == "8.5"
    assert body["budget"] == 850 and body["selected"] == ["A", "C"] and body["cost"] == 825
    # The increment is given in the file's currency and applied in its scaled units (0.5 x 100).
    add1 = (await post(client, staff, text, rule="mes-add1", voter_budget_increment="0.5")).json()
    assert add1["voter_budget_increment"] == 50
    # No currency in META: amounts carry no unit, in the file's own figures (8.50, not 元 of fen).
    skipped = next(e for e in body["explanations"] if e["project_id"] == "B")
    assert "0.25" in skipped["reason_zh"] and "元" not in skipped["reason_zh"], skipped


async def test_explanations_speak_the_files_currency(client, staff):
    text = TOY.replace("vote_type;approval", "vote_type;approval\ncurrency;PLN")
    for rule in ("greedy", "equalshares"):
        body = (await post(client, staff, text, rule=rule)).json()
        reasons = " ".join(e["reason_zh"] + e["reason_en"] for e in body["explanations"])
        assert "PLN" in reasons and "元" not in reasons and "yuan" not in reasons, (rule, reasons)
    funded = next(e for e in body["explanations"] if e["project_id"] == "A")
    assert "paid 2 PLN each" in funded["reason_en"], funded


async def test_malformed_file_names_its_line(client, staff):
    r = await post(client, staff, TOY.replace("C;2;lights", "C;two;lights"), rule="mes")
    body = assert_problem(r, 422, "pb_invalid")
    assert body["line"] == 12 and "cost not a number" in body["message"] and "line 12" in body["detail"]
    r = await post(client, staff, TOY.replace("v4;B", "v4;D"), rule="mes")
    assert assert_problem(r, 422, "pb_invalid")["line"] == 18
    r = await post(client, staff, TOY.encode().replace(b"bench", "banc \u00e9".encode("latin-1")), rule="mes")
    assert assert_problem(r, 422, "pb_invalid")["line"] == 11


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"rule": "random-dictator"}, "unknown_rule"),
        ({"rule": "mes", "tie_break": "coin"}, "unknown_tie_break"),
        ({"rule": "mes-add1", "voter_budget_increment": "0"}, "increment_invalid"),
        ({"rule": "mes-add1", "voter_budget_increment": "0.001"}, "increment_invalid"),
        ({"rule": "mes-add1", "voter_budget_increment": "lots"}, "increment_invalid"),
    ],
)
async def test_bad_parameters(client, staff, fields, code):
    assert_problem(await post(client, staff, TOY, **fields), 422, code)


async def test_limits_refuse_the_work_before_doing_it(client, staff, monkeypatch):
    monkeypatch.setattr(service, "MAX_PROJECTS", 2)
    body = assert_problem(await post(client, staff, TOY, rule="mes"), 422, "pb_too_big")
    assert (body["what"], body["found"], body["limit"]) == ("projects", 3, 2)
    monkeypatch.setattr(service, "MAX_FILE_BYTES", 100)
    assert assert_problem(await post(client, staff, TOY, rule="mes"), 413, "pb_file_too_large")["limit"] == 100


async def test_an_allocation_past_the_deadline_is_stopped(client, staff, monkeypatch):
    monkeypatch.setattr(service, "TIME_LIMIT_SECONDS", 0)
    body = assert_problem(await post(client, staff, TOY, rule="mes-add1"), 422, "what_if_too_costly")
    assert body["time_limit_seconds"] == 0
    assert service._running == 0
    monkeypatch.setattr(service, "MAX_RUNNING", 0)
    r = await post(client, staff, TOY, rule="mes")
    assert_problem(r, 503, "what_if_busy")
    assert r.headers["retry-after"] == str(service.RETRY_AFTER_SECONDS)


@pytest.mark.parametrize("role", [Role.street_admin, Role.district_admin, Role.finance, Role.supervisor, Role.admin])
async def test_staff_who_plan_money_may_run_it(client, session, app, tree, role):
    _, headers = await user_for(session, app, tree, role)
    r = await post(client, headers, TOY, rule="greedy")
    assert r.status_code == 200 and r.json()["selected"] == ["A", "C"]


@pytest.mark.parametrize("role", [Role.resident, Role.evaluator])
async def test_others_get_403(client, session, app, tree, role):
    _, headers = await user_for(session, app, tree, role)
    assert_problem(await post(client, headers, TOY, rule="greedy"), 403, "role_forbidden")


async def test_anonymous_gets_401(client):
    assert_problem(await post(client, {}, TOY, rule="greedy"), 401, "not_authenticated")


ASSEN = Path(__file__).resolve().parents[3] / "shared" / "pabulib" / "Netherlands_Assen_2024.pb"
# Budget 4, shares of 1: A and B cost the same and have the same two supporters, a tie nothing breaks.
TIED = """META
key;value
budget;4
vote_type;approval
PROJECTS
project_id;cost
A;2
B;2
C;4
VOTES
voter_id;vote
v1;A,B
v2;A,B
v3;C
v4;C
"""


@pytest.mark.skipif(not ASSEN.is_file(), reason=f"real pabulib file not found: {ASSEN}")
async def test_official_rule_of_an_uploaded_file(client, staff):
    r = await post(client, staff, ASSEN.read_bytes(), rule="official")
    assert r.status_code == 200, r.text
    body = r.json()
    assert sorted(body["selected"], key=int) == ["2", "3", "5", "6", "9", "11", "12", "13", "14"]
    assert body["rule"] == "official:equalshares/add1" and body["variant"]["params"]["completion"] == "add1e"
    assert body["variant"]["description_zh"].startswith("文件规定的规则 equalshares/add1")
    completed = (await post(client, staff, ASSEN.read_bytes(), rule="official", completion="add1u")).json()
    assert "7" in completed["selected"]


async def test_equalshares_variants_take_their_parameters(client, staff):
    r = await post(client, staff, TOY, rule="equalshares", completion="utilitarian", tie_breaking="maxVotes,minCost")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["selected"] == ["A", "B"] and body["variant"]["name"] == "equalshares(utilitarian,tie=maxVotes>minCost)"
    greedy = (await post(client, staff, TOY, rule="equalshares", completion="none", comparison="satisfaction")).json()
    assert greedy["variant"]["comparison"]["by"] == "satisfaction"
    floats = (await post(client, staff, TOY, rule="equalshares", completion="add1u", accuracy="float")).json()
    assert floats["selected"] == ["A", "B"] and floats["variant"]["params"]["accuracy"] == "float"
    assert "浮点计算" in floats["variant"]["description_zh"]


@pytest.mark.parametrize(
    ("text", "fields", "code"),
    [
        (TOY, {"rule": "official"}, "pb_rule_unsupported"),
        (
            TOY.replace("vote_type;approval", "vote_type;approval\nrule;sainte-lague"),
            {"rule": "official"},
            "pb_rule_unsupported",
        ),
        (
            TOY.replace("vote_type;approval", "vote_type;ordinal\nmax_length;2\nrule;equalshares/add1"),
            {"rule": "official"},
            "pb_ballots_unreadable",
        ),
        (TOY.replace("vote_type;approval", "vote_type;ordinal"), {"rule": "equalshares"}, "pb_ballots_unreadable"),
        # pabutools' variants read approvals only: ranked or points ballots are refused, never counted as approvals.
        (TOY.replace("vote_type;approval", "vote_type;ordinal"), {"rule": "greedy"}, "pb_ballots_unreadable"),
        (TOY.replace("vote_type;approval", "vote_type;ordinal"), {"rule": "mes-add1"}, "pb_ballots_unreadable"),
        (TOY, {"rule": "greedy", "completion": "add1"}, "rule_parameter_invalid"),
        (TOY, {"rule": "mes", "voter_budget_increment": "2"}, "rule_parameter_invalid"),
        (TOY, {"rule": "equalshares", "completion": "add7"}, "rule_parameter_invalid"),
        (TOY, {"rule": "equalshares", "tie_breaking": "coin"}, "rule_parameter_invalid"),
        (TOY, {"rule": "equalshares", "accuracy": "floats"}, "rule_parameter_invalid"),
        (TOY, {"rule": "mes", "accuracy": "float"}, "rule_parameter_invalid"),
        (TOY, {"rule": "equalshares", "tie_break": "lexico"}, "rule_parameter_invalid"),
        (
            TOY.replace("vote_type;approval", "vote_type;approval\nrule;greedy"),
            {"rule": "official", "comparison": "satisfaction"},
            "rule_parameter_invalid",
        ),
        (TIED, {"rule": "equalshares", "completion": "none"}, "allocation_tie_unresolved"),
    ],
)
async def test_what_the_rules_cannot_do_is_a_422_naming_it(client, staff, text, fields, code):
    body = assert_problem(await post(client, staff, text, **fields), 422, code)
    assert body["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])
    if code == "allocation_tie_unresolved":
        assert body["projects"] == ["A", "B"]


async def test_fairness_audit_side_by_side(client, staff):
    r = await post(client, staff, TOY, rule="mes", audit="true")
    assert r.status_code == 200, r.text
    audit = r.json()["audit"]
    assert (audit["rule"], audit["selected"]) == ("mes", ["A", "B"])
    assert audit["audit"]["excluded_voters"] == 0 and audit["audit"]["ejr_up_to_one"] is True
    others = {o["rule"]: o for o in audit["others"]}
    assert set(others) == {"greedy", "mes-add1", "equalshares(add1e,integral,tie=maxVotes>minCost)"}
    # Greedy funds A and C: v4, who voted only for B, is left with nothing.
    assert others["greedy"]["selected"] == ["A", "C"] and others["greedy"]["audit"]["exclusion_ratio"] == "1/4"
    assert (await post(client, staff, TOY, rule="mes")).json()["audit"] is None
    ordinal = TOY.replace("vote_type;approval", "vote_type;ordinal")
    assert_problem(await post(client, staff, ordinal, rule="greedy", audit="true"), 422, "pb_ballots_unreadable")


async def test_a_file_or_a_round_not_both(client, staff):
    r = await client.post(URL, data={"rule": "greedy"}, headers=staff)
    assert_problem(r, 422, "what_if_source")
    both = await client.post(
        URL,
        files={"file": ("toy.pb", TOY.encode(), "text/plain")},
        data={"rule": "greedy", "round_id": "00000000-0000-0000-0000-000000000000"},
        headers=staff,
    )
    assert_problem(both, 422, "what_if_source")
    missing = await client.post(
        URL, data={"rule": "greedy", "round_id": "00000000-0000-0000-0000-000000000000"}, headers=staff
    )
    assert_problem(missing, 404, "round_not_found")
