"""The phases of a year in the order they run; `play` runs them all (the demo's previous year)."""

from app.demo.year import (
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

PHASES = [
    setup.programme_and_pilots,
    organisation.register_and_verify,
    venture.programme,
    setup.funds_in,
    vote.voter_roll,
    intake.proposals,
    venture.applications,
    intake.screening_and_survey,
    intake.representative_meeting,
    intake.close_meeting,
    vote.screening_vote,
    vote.count,
    notice.public_notice,
    notice.objections,
    notice.conclusion,
    notice.confirmation,
    implementation.start,
    venture.review,
    venture.close,
    venture.notice_and_objection,
    venture.under_way,
    implementation.budget_changes,
    implementation.progress_and_spending,
    implementation.mid_term_review,
    implementation.completion_and_acceptance,
    implementation.closure,
    evaluation.campaign,
    evaluation.scoring,
    evaluation.awards,
    year_end.next_programme,
    year_end.close_the_year,
    year_end.rectified_project,
]


async def play(y: Year) -> None:
    """Every phase of the year, in order."""
    for phase in PHASES:
        await phase(y)
