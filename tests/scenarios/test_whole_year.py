"""One programme year through the HTTP API, as each real role plays it, with the clock moved between phases.

This is the spine of the suite and the best documentation of how a year runs: read it top to bottom. After every
phase the money must add up (tests/scenarios/money.py): per pilot and per source, received = committed +
uncommitted + swept; per project, disbursed <= committed and invoiced <= disbursed; the public pages show the
internal figures; the audit chain verifies. Between phases, every way around the process is tried and refused.
"""

import pytest

from app.auth.models import Role
from app.auth.secrets import hash_password
from app.demo.year import Cast, Inbox, Year, evaluation, implementation, intake, notice, setup, vote, year_end
from app.demo.year.cast import PASSWORD
from tests.factories import add_user
from tests.scenarios.money import check_money

YEAR = 2025


@pytest.fixture
async def year(client, session, app) -> Year:
    """The year to play: an administrator (the one account made outside the API) and the residents' phones."""
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
    await setup.programme_and_pilots(y)
    await check_money(y)
    await setup.funds_in(y)
    await check_money(y)
    await intake.proposals(y)
    await intake.screening_and_survey(y)
    await intake.representative_meeting(y)
    await vote.voter_roll(y)
    await vote.screening_vote(y)
    await vote.count(y)
    await check_money(y)
    await notice.public_notice(y)
    await notice.objections(y)
    await notice.confirmation(y)
    await check_money(y)
    assert sorted(y.ids["projects"]) == [1, 2, 4]
    await implementation.start(y)
    await check_money(y)
    await implementation.budget_changes(y)
    await check_money(y)
    await implementation.progress_and_spending(y)
    await implementation.mid_term_review(y)
    await implementation.completion_and_acceptance(y)
    await check_money(y)
    await implementation.closure(y)
    await check_money(y)
    await evaluation.campaign(y)
    await evaluation.scoring(y)
    await evaluation.awards(y)
    await check_money(y)
    await year_end.next_programme(y)
    await year_end.close_the_year(y)
    await check_money(y)
