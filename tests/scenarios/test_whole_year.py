"""One programme year through the HTTP API, as each real role plays it, with the clock moved between phases.

This is the spine of the suite and the best documentation of how a year runs: read it top to bottom, with the
phases in app/demo/year/ (which `weishi seed-demo` plays too). After every phase the money must add up
(tests/scenarios/money.py): per pilot and per source, received = committed + uncommitted + swept; per project,
disbursed <= committed and invoiced <= disbursed; the public pages show the internal figures; the audit chain
verifies. Where someone would try a way around the process, it is tried and must be refused, changing nothing
(tests/scenarios/bypasses.py).
"""

import pytest

from app.auth.models import Role
from app.auth.secrets import hash_password
from app.demo.year import (
    Cast,
    Inbox,
    Year,
    evaluation,
    implementation,
    intake,
    notice,
    organisation,
    setup,
    venture,
    vote,
    year_end,
)
from app.demo.year.cast import PASSWORD
from tests.factories import add_user
from tests.scenarios import bypasses
from tests.scenarios.dashboard import check_dashboard
from tests.scenarios.money import check_money
from tests.scenarios.open_data import check_open_data

YEAR = 2025


async def check_review_track(y: Year) -> None:
    """The review's outcome as staff, the ledger and the public read it: the objection moved 16,000元 down the
    ranking; the two confirmed projects are committed and half paid; the panel holds nothing any more; the board
    shows the result with the panel's size and no expert."""
    v = y.ids["venture"]
    assert [a["selected"] for a in v["result"]["applications"]] == [True, True, False], v["result"]
    assert [a["review_mean"] for a in v["result"]["applications"]] == [87.0, 82.0, 76.5], v["result"]
    [moved] = v["decision"]["reallocations"]
    assert (moved["removed_number"], moved["newly_selected"]) == (1, [3]), moved
    assert sorted(v["projects"]) == sorted(v["applications"][1:]), v
    b = await y.get("lh_finance", f"/pilots/{v['pilot']}/balance")
    assert (b["committed_fen"], b["disbursed_fen"], b["reserved_by_panels_fen"]) == (2_200_000, 1_100_000, 0), b
    public = await y.get("", f"/public/review-panels/{v['panel']}")
    assert public["experts"] == 2 and public["selected_cost_fen"] == 2_200_000, public
    assert [(a["number"], a["scores"], a["selected"]) for a in public["applications"]] == [
        (1, 2, False),
        (2, 1, True),
        (3, 2, True),
    ], public
    page = (await y.client.get(f"/board/reviews/{v['panel']}")).text
    assert "评审专家</dt><dd>2 名" in page and "异议成立，已撤销" in page and "300,000.00 元" not in page, page
    assert "高教授" not in page and "罗老师" not in page and "30,000.00 元" in page, page


@pytest.fixture
async def year(client, session, app) -> Year:
    """The year to play: an administrator (the one account made outside the API, as `weishi create-user`
    does), who draws the district and creates the staff; the residents' phones receive their codes."""
    await add_user(session, Role.admin, None, username="admin", password_hash=hash_password(PASSWORD))
    inbox = Inbox()
    app.state.otp_sender = inbox
    y = Year(client, Cast(client, inbox, staff={"admin": "admin"}), YEAR)
    y.on(1, 2)
    await setup.draw_map(y)
    await setup.people(y)
    return y


async def test_a_whole_year(year: Year):
    y = year
    # January and February: the programme, its pilots and money from every source.
    await setup.programme_and_pilots(y)
    await check_money(y)
    await organisation.register_and_verify(y)
    await bypasses.organisation_shortcuts(y)
    # 罗湖区 runs 公益微创投 the same year, selected by expert review: its programme, pilot, money, organisation.
    await venture.programme(y)
    await setup.funds_in(y)
    await bypasses.funds_beyond_the_plan(y)
    await check_money(y)
    await vote.voter_roll(y)

    # March: proposals (an organisation's, one entered by staff from a paper form), screening, survey and the
    # representative meeting.
    await bypasses.proposing_outside_ones_community(y)
    await intake.proposals(y)
    await venture.applications(y)
    await bypasses.money_without_a_vote(y)
    await intake.screening_and_survey(y)
    await intake.representative_meeting(y)
    await bypasses.deliberation_shortcuts(y)
    await intake.close_meeting(y)
    notices = (await y.get("", "/public/notices", community_id=y.ids["regions"]["彩田社区"]))["items"]
    announcement = next(n for n in notices if n["meeting_id"] == y.ids["meeting"])
    assert (announcement["phase"], announcement["ends_on"]) == ("concluded", "2025-03-20"), announcement

    # April: the vote and its count.
    await vote.screening_vote(y)
    await bypasses.a_second_round_on_the_same_money(y)
    await vote.count(y)
    result = y.ids["result"]
    assert sorted(p["number"] for p in result["projects"] if p["selected"]) == [1, 2, 3], result
    await check_money(y)

    # 公示: one objection dismissed, one upheld; the freed money goes to the next project; confirmation.
    await notice.public_notice(y)
    await bypasses.donor_hidden_on_the_notice(y)
    await notice.objections(y)
    await notice.conclusion(y)
    await bypasses.another_implementer_at_confirmation(y)
    await notice.confirmation(y)
    assert sorted(y.ids["projects"]) == [1, 2, 4]
    await check_money(y)

    # May to October: implementation.
    await implementation.start(y)
    await check_money(y)

    # May, in 罗湖区: the expert review, its 公示 with an upheld objection, confirmation and the first payments.
    await venture.review(y)
    await bypasses.review_shortcuts(y)
    await venture.close(y)
    await venture.notice_and_objection(y)
    await venture.under_way(y)
    await check_money(y)
    await check_review_track(y)
    await implementation.budget_changes(y)
    await check_money(y)
    await implementation.progress_and_spending(y)
    await bypasses.spending_past_its_line(y)
    await implementation.mid_term_review(y)
    await implementation.completion_and_acceptance(y)
    await bypasses.paying_more_than_the_project_has(y)
    await bypasses.waiting_changes_lapse(y)
    await check_money(y)
    await implementation.closure(y)
    await check_money(y)

    # November and December: evaluation and awards.
    await evaluation.campaign(y)
    await evaluation.scoring(y)
    await evaluation.awards(y)
    await check_money(y)
    # The social organisation's record, as evaluators and the public read it: 长者饭堂, which it applied for
    # and ran, with its grade; on the public board, its credit code and verification but none of its people.
    org = y.ids["organisations"]["implementer"]
    record = await y.get("expert", f"/organisations/{org}/record")
    elderly = next(p for p in record["projects"] if p["proposal_id"] == y.ids["proposals"][1])
    assert (elderly["role"], elderly["rectifications"]) == ("proposer", 0) and elderly["grade"], record
    public = await y.get("", f"/public/organisations/{org}")
    assert public["verified"] and public["credit_code"] == organisation.CREDIT_CODE, public
    assert [p["grade"] for p in public["projects"]] == [elderly["grade"]], public
    assert "吴" not in str(public) and organisation.PEOPLE["吴"] not in str(public), public

    # January: next year's programme, the year end, and the project that ran past December.
    await year_end.next_programme(y)
    await year_end.close_the_year(y)
    await check_money(y)
    # Each source's unspent part goes back to its own funder, one ledger entry each: 香岭社区 (not a pilot
    # again) returns its whole subsidy to the district; 彩田社区 carries each source's part to next year.
    lines = {
        (y.ids["regions"]["香岭社区"] == line["community_id"], line["source_kind"]): line for line in y.ids["year_end"]
    }
    swept = lines[(True, "district_subsidy")]
    assert (swept["action"], swept["amount_fen"], swept["returns_to"]) == ("sweep", 3_000_000, "district"), lines
    carried = {kind: line for (xiangling, kind), line in lines.items() if not xiangling}
    assert {line["action"] for line in carried.values()} == {"carry_over"}, lines
    assert (
        sum(line["amount_fen"] for line in carried.values())
        == (await y.get("finance", f"/pilots/{y.ids['pilots']['彩田社区']}/balance"))["transferred_out_fen"]
    ), lines
    await year_end.rectified_project(y)
    await check_money(y)
    await check_dashboard(y)
    await check_open_data(y)
