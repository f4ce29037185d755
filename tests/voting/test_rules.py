"""Voting rules, pure: phases, ballot validity, masks, voter keys, digests and the tally's allocation."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.programmes.ruleset import BallotRule
from app.voting import rules
from app.voting.models import MAX_ROUND_PROJECTS, RoundStatus

T0 = datetime(2025, 5, 1, 9, tzinfo=UTC)
COSTS = {1: 1_000_000, 2: 800_000, 3: 700_000}


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (RoundStatus.scheduled, T0 - timedelta(seconds=1), "upcoming"),
        (RoundStatus.scheduled, T0, "open"),
        (RoundStatus.scheduled, T0 + timedelta(days=3) - timedelta(microseconds=1), "open"),
        (RoundStatus.scheduled, T0 + timedelta(days=3), "ended"),
        (RoundStatus.closed, T0, "closed"),
        (RoundStatus.cancelled, T0, "cancelled"),
    ],
)
def test_phase_window_is_half_open(status, now, expected):
    assert rules.phase(status, T0, T0 + timedelta(days=3), now) == expected


@pytest.mark.parametrize(
    ("rule", "choices", "code"),
    [
        ({}, [1, 2], None),
        ({}, [], "too_few_choices"),
        ({"min_choices": 2}, [1], "too_few_choices"),
        ({"max_choices": 2}, [1, 2, 3], "too_many_choices"),
        ({}, [4], "unknown_project"),
        ({}, [2, 2], "duplicate_choice"),
        ({"ballot_type": "knapsack"}, [1, 2], None),  # 18,000 of 20,000
        ({"ballot_type": "knapsack"}, [1, 2, 3], "over_budget"),  # 25,000
        ({"ballot_type": "knapsack", "knapsack_min_spend_pct": 70}, [3], "under_min_spend"),  # 7,000 < 14,000
        ({"ballot_type": "knapsack", "knapsack_min_spend_pct": 70}, [2, 3], None),  # 15,000
        ({"ballot_type": "knapsack"}, [], "too_few_choices"),
    ],
)
def test_ballot_problem(rule, choices, code):
    problem = rules.ballot_problem(BallotRule(**rule), choices, COSTS, 2_000_000)
    assert (problem.code if problem else None) == code


def test_min_spend_rounds_up_to_a_whole_fen():
    assert rules.min_spend_fen(BallotRule(ballot_type="knapsack", knapsack_min_spend_pct=70), 1_001) == 701


@given(st.sets(st.integers(1, MAX_ROUND_PROJECTS)))
def test_mask_round_trip(choices):
    assert rules.choices_of(rules.choice_mask(choices)) == sorted(choices)
    assert rules.choice_mask(choices) < 2**63  # fits a signed BIGINT


def test_voter_key_per_resident_or_household():
    resident, household = BallotRule(), BallotRule(ballot_unit="household")
    assert rules.voter_key(resident, "e1", "3栋501") == "r:e1"
    assert rules.voter_key(household, "e1", "３栋 501") == rules.voter_key(household, "e2", "3栋501") == "h:3栋501"
    assert rules.voter_key(household, "e1", "  ") == "r:e1"


def test_receipt_digest_ignores_case_and_spaces():
    assert rules.receipt_digest(" abcd-efgh ") == rules.receipt_digest("ABCD-EFGH")


@given(st.uuids(), st.text(alphabet=rules.RECEIPT_ALPHABET, min_size=16, max_size=16))
def test_a_receipt_code_names_a_range_of_round_ids_holding_its_round(round_id, random_part):
    code = rules.receipt_code(round_id, random_part)
    assert len(code) == 24 and code.replace("-", "") == rules.receipt_hint(round_id) + random_part
    low, high = rules.hinted_rounds(code)
    assert low <= round_id <= high and high.int - low.int == (1 << 108) - 1
    assert rules.hinted_rounds(code.lower()) == (low, high)  # typed as the digest reads it


def test_a_code_without_a_round_hint_names_no_range():
    # Codes of before migration 0031: 16 characters, found through legacy_receipt.
    assert rules.hinted_rounds("ABCD-EFGH-IJKL-MNOP") is None
    assert rules.hinted_rounds("AB0D-EFGH-IJKL-MNOP-QRST") is None  # not base32
    top = uuid.UUID("ffffffff-ffff-4fff-bfff-ffffffffffff")
    assert rules.receipt_hint(top) == "7777"
    last = (uuid.UUID(int=top.int >> 108 << 108), uuid.UUID(int=(1 << 128) - 1))
    assert rules.hinted_rounds("7777-AAAA-AAAA-AAAA-AAAA") == last


def test_tally_digest_is_stable_and_input_sensitive():
    tally = rules.TallyInput(2_000_000, dict(COSTS), {rules.choice_mask([1]): 3}, BallotRule(), ())
    same = rules.TallyInput(2_000_000, dict(reversed(COSTS.items())), {rules.choice_mask([1]): 3}, BallotRule(), ())
    assert tally.digest() == same.digest()
    assert (
        tally.digest()
        != rules.TallyInput(2_000_000, dict(COSTS), {rules.choice_mask([1]): 4}, BallotRule(), ()).digest()
    )


def test_allocation_uses_the_rule_groups_and_increment():
    profile = {rules.choice_mask([1, 2]): 5, rules.choice_mask([3]): 4}
    greedy = rules.run_allocation(rules.TallyInput(2_000_000, dict(COSTS), profile, BallotRule(), ()))
    assert greedy.selected == ("2", "1")  # tie at 5 votes: the cheaper first; 3 no longer fits
    grouped = rules.run_allocation(rules.TallyInput(2_000_000, dict(COSTS), profile, BallotRule(), ((1, 2),)))
    assert grouped.selected == ("2", "3")
    mes = rules.run_allocation(
        rules.TallyInput(2_000_000, dict(COSTS), profile, BallotRule(allocation_rule="mes-add1"), ())
    )
    # Equal shares gives the 4 voters of project 3 their proportional part of the budget.
    assert "3" in mes.selected and mes.rule == "mes-add1"
    assert rules.vote_counts(COSTS, profile) == {1: 5, 2: 5, 3: 4}


def test_groups_problem():
    assert rules.groups_problem([[1, 2]], [1, 2, 3]) is None
    assert "at least two" in rules.groups_problem([[1]], [1, 2])
    assert "not in the round" in rules.groups_problem([[1, 9]], [1, 2])
    assert "one incompatible group" in rules.groups_problem([[1, 2], [2, 3]], [1, 2, 3])


def test_equalshares_rule_for_live_rounds():
    profile = {rules.choice_mask([1, 2]): 5, rules.choice_mask([3]): 4}
    rule = BallotRule(allocation_rule="equalshares", equal_shares={"completion": "add1u"})
    result = rules.run_allocation(rules.TallyInput(2_000_000, dict(COSTS), profile, rule, ()))
    assert result.rule.startswith("equalshares(add1u,") and result.variant["params"]["completion"] == "add1u"
    assert "3" in result.selected
    # Incompatible groups hold under equal shares too; ties the criteria leave go to the lower number.
    grouped = rules.run_allocation(rules.TallyInput(2_000_000, dict(COSTS), profile, rule, ((1, 2),)))
    assert not {"1", "2"} <= set(grouped.selected)
    assert rules.equal_shares_params(rule, [2, 1]).tie_breaking[-1] == ("1", "2")
    for bad in (
        {"allocation_rule": "mes", "equal_shares": {}},
        {"allocation_rule": "equalshares", "mes_increment_fen": 150},
        {"allocation_rule": "equalshares", "equal_shares": {"completion": "none", "integral": True}},
        {"allocation_rule": "equalshares", "equal_shares": {"tie_breaking": ["minCost", "minCost"]}},
    ):
        with pytest.raises(ValueError):
            BallotRule.model_validate(bad)


def test_points_of_cumulative_and_ranked_ballots():
    assert rules.points_of([2, 2, 5, 2]) == {2: 3, 5: 1}
    ranked = BallotRule(ballot_type="ranked", max_choices=3)
    assert rules.points_of([3, 1], ranked) == {3: 3, 1: 2}
    assert rules.stored_choices(ranked, [3, 1]) == [3, 1]
    assert rules.stored_choices(BallotRule(ballot_type="cumulative"), [3, 1, 3]) == [1, 3, 3]


def test_the_digest_of_approval_rounds_ignores_the_point_fields():
    base = rules.TallyInput(2_000_000, COSTS, {0b110: 2}, BallotRule(), ())
    assert base.digest() == rules.TallyInput(2_000_000, COSTS, {0b110: 2}, BallotRule(points_total=7), ()).digest()
    cumulative = BallotRule(ballot_type="cumulative")
    a = rules.TallyInput(2_000_000, COSTS, {0b110: 1}, cumulative, (), {(1, 2): 1})
    b = rules.TallyInput(2_000_000, COSTS, {0b110: 1}, cumulative, (), {(1, 1, 2): 1})
    assert a.digest() != b.digest()
