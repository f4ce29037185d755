"""The lifecycle table, budget arithmetic, negative list and file sniffing, without a database."""

from hypothesis import given
from hypothesis import strategies as st

from app.common import filetypes
from app.proposals import negative_list, rules
from app.proposals.enums import ProposalKind
from app.proposals.enums import ProposalState as S
from app.proposals.rules import Mover

HUMANS = frozenset({Mover.proposer, Mover.community_staff, Mover.street_admin})


def test_every_state_is_reachable_from_draft():
    seen, frontier = {S.draft}, [S.draft]
    while frontier:
        state = frontier.pop()
        for source, target in rules.TRANSITIONS:
            if source == state and target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(S)


def test_terminal_states_have_no_exit():
    for source, _target in rules.TRANSITIONS:
        assert source not in rules.TERMINAL_STATES


def test_withdrawal_from_every_open_state_by_the_proposer_only():
    for state in rules.OPEN_STATES:
        assert rules.may(state, S.withdrawn, {Mover.proposer})
        assert not rules.may(state, S.withdrawn, {Mover.community_staff, Mover.street_admin, Mover.system})
    for state in set(S) - rules.OPEN_STATES:
        assert not rules.may(state, S.withdrawn, {Mover.proposer})


def test_later_steps_are_made_by_services_only():
    system_only = [(s, t) for (s, t), who in rules.TRANSITIONS.items() if who == {Mover.system}]
    for source, target in system_only:
        assert not rules.may(source, target, HUMANS)
    assert (S.in_deliberation, S.shortlisted) in system_only and (S.submitted, S.screened) in system_only
    assert (S.completed, S.evaluated) in system_only


def test_allowed_from_lists_only_the_callers_steps():
    assert rules.allowed_from(S.screened, {Mover.community_staff}) == [
        {"to": "under_survey", "by": ["community_staff", "street_admin"]}
    ]
    assert rules.allowed_from(S.screened, {Mover.proposer}) == [{"to": "withdrawn", "by": ["proposer"]}]
    assert rules.allowed_from(S.evaluated, HUMANS | {Mover.system}) == []


@given(st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 10**11)), max_size=100))
def test_total_is_the_exact_sum_of_products(lines):
    assert rules.budget_total(lines) == sum(q * p for q, p in lines)


def test_budget_problem():
    assert rules.budget_problem(ProposalKind.livelihood, 0, 0, 100) == "A proposal needs at least one budget line."
    assert rules.budget_problem(ProposalKind.charter, 0, 0, 100) is None
    assert rules.budget_problem(ProposalKind.venture, 1, 100, 100) is None
    assert "exceeds" in rules.budget_problem(ProposalKind.venture, 1, 101, 100)


def test_negative_list_codes_and_custom_list():
    items = negative_list.DEFAULT_NEGATIVE_LIST
    assert len({i.code for i in items}) == len(items) == 7
    assert negative_list.unknown_codes(items, ["gifts", "nope"]) == ["nope"]
    assert negative_list.reasons_for(items, ["travel", "gifts"]) == [
        {"code": "gifts", "label": "发放礼品、纪念品"},
        {"code": "travel", "label": "旅游、考察"},
    ]
    custom = negative_list.items_from([{"code": "x", "label": "自定义"}])
    assert [i.code for i in custom] == ["x"]


def test_sniff():
    assert filetypes.sniff(b"\xff\xd8\xff\xdb....") == filetypes.JPEG
    assert filetypes.sniff(b"\x89PNG\r\n\x1a\n....") == filetypes.PNG
    assert filetypes.sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == filetypes.WEBP
    assert filetypes.sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None
    assert filetypes.sniff(b"%PDF-1.4") == filetypes.PDF
    assert filetypes.sniff(b"<svg") is None and filetypes.sniff(b"") is None


def test_safe_name():
    assert filetypes.safe_name("C:\\Users\\张三\\照片.png", filetypes.PNG) == "照片.png"
    assert filetypes.safe_name("../../etc/passwd", filetypes.PDF) == "passwd"
    assert filetypes.safe_name("", filetypes.PDF) == "attachment.pdf"
    assert filetypes.safe_name("a\x00b\nc.jpg", filetypes.JPEG) == "abc.jpg"
    assert len(filetypes.safe_name("x" * 1000, filetypes.JPEG)) == 255
