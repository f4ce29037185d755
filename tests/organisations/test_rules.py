"""The credit code's check character (GB 32100-2015), status changes and membership rules."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.organisations import rules
from app.organisations.rules import MemberRole, OrganisationStatus

# The example printed in GB 32100-2015 itself, and the two codes the played year uses.
VALID = ["91350100M000100Y43", "52440304MJL000100E", "52440304MJL0002004"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes(code):
    assert rules.credit_code_problem(code) is None


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("91350100M000100Y4", "18位"),
        ("91350100M000100Y433", "18位"),
        ("91350100M000I00Y43", "不含I"),  # I is never used: it looks like 1
        ("913501OOM000100Y43", "不含I"),  # nor O
        ("81350100M000100Y43", "第1位"),  # no registration authority 8
        ("9135A100M000100Y43", "行政区划码"),
        ("91350100M000100Y44", "校验码"),  # one off
        ("91350100M000100Y34", "校验码"),  # last two swapped
    ],
)
def test_invalid_codes(code, says):
    assert says in rules.credit_code_problem(code)


BODY = st.text(alphabet=rules.CHARSET, min_size=9, max_size=9)


@given(
    authority=st.sampled_from(sorted(rules.AUTHORITIES)),
    kind=st.sampled_from(rules.CHARSET),
    area=st.from_regex(r"\A[0-9]{6}\Z"),
    body=BODY,
    wrong=st.sampled_from(rules.CHARSET),
)
def test_any_prefix_has_exactly_one_check_character(authority, kind, area, body, wrong):
    first17 = authority + kind + area + body
    right = rules.check_character(first17)
    assert rules.credit_code_problem(first17 + right) is None
    if wrong != right:
        assert "校验码" in rules.credit_code_problem(first17 + wrong)


@pytest.mark.parametrize(
    ("action", "current", "after"),
    [
        ("verify", OrganisationStatus.pending, OrganisationStatus.verified),
        ("verify", OrganisationStatus.verified, None),
        ("verify", OrganisationStatus.suspended, None),
        ("suspend", OrganisationStatus.pending, OrganisationStatus.suspended),
        ("suspend", OrganisationStatus.verified, OrganisationStatus.suspended),
        ("suspend", OrganisationStatus.suspended, None),
        ("reinstate", OrganisationStatus.suspended, OrganisationStatus.verified),
        ("reinstate", OrganisationStatus.pending, None),
    ],
)
def test_status_changes(action, current, after):
    assert rules.next_status(action, current) == after


def test_only_verified_organisations_apply():
    assert [s for s in OrganisationStatus if rules.may_apply(s)] == [OrganisationStatus.verified]


def test_the_last_owner_stays():
    assert rules.leaving_problem(MemberRole.owner, 0)
    assert rules.leaving_problem(MemberRole.owner, 1) is None
    assert rules.leaving_problem(MemberRole.member, 0) is None
