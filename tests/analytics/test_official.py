"""A pabulib file's own rule, recomputed: official outcomes, each ballot type counted its way, refusals."""

from pathlib import Path

import pytest

from app.analytics.ballot_scores import UnreadableBallots, scores, supporters
from app.analytics.equalshares_net import TieError, equalshares
from app.analytics.equalshares_params import EqualSharesParams, ParameterError, parse_tie_breaking
from app.analytics.official import OFFICIAL_RULES, UnsupportedRule, official
from app.analytics.pabulib import decode, parse, to_election
from app.analytics.score_greedy import score_greedy

SHARED = Path(__file__).resolve().parents[3] / "shared" / "pabulib"
FILES = sorted(SHARED.glob("*.pb"))
pytestmark = pytest.mark.skipif(len(FILES) != 5, reason=f"the five pabulib files are not in {SHARED}")


def load(path: Path):
    pb = parse(decode(path.read_bytes()))
    return pb, to_election(pb)


def with_official_outcome() -> list[Path]:
    out = []
    for path in FILES:
        pb = parse(decode(path.read_bytes()))
        if "selected" in pb.project_columns and pb.meta.get("rule") in OFFICIAL_RULES:
            out.append(path)
    return out


def test_the_shared_files_with_an_official_outcome_cover_three_rules_and_ballot_types():
    kinds = {
        (parse(decode(p.read_bytes())).meta["rule"], parse(decode(p.read_bytes())).vote_type)
        for p in with_official_outcome()
    }
    assert kinds == {("greedy", "approval"), ("greedy", "ordinal"), ("equalshares/add1", "approval")}


@pytest.mark.parametrize("path", with_official_outcome(), ids=lambda p: p.stem)
def test_official_rule_gives_the_official_outcome(path):
    pb, election = load(path)
    result = official(pb, election)
    expected = {row["project_id"] for row in pb.projects if row["selected"] == "1"}
    assert set(result.selected) == expected
    assert result.rule == f"official:{pb.meta['rule']}"
    assert result.variant["description_zh"].startswith(f"文件规定的规则 {pb.meta['rule']}")
    assert all(e.selected == (e.project_id in expected) for e in result.explanations)
    bare = official(pb, election, explain=False)
    assert bare.selected == result.selected and bare.cost == result.cost and bare.explanations == ()
    assert bare.variant == result.variant and bare.voter_budget == result.voter_budget


def test_krakow_counts_points_by_rank_not_approvals():
    pb, election = load(SHARED / "Poland_Krakow_2024_Podgorze.pb")
    points = scores(pb)
    # The file's own score column is checked inside scores(); by approvals the order differs.
    assert points["BO.D13.65/24"] == 2036 and points["BO.D13.4/24"] == 1753
    result = official(pb, election)
    assert result.selected[0] == "BO.D13.65/24"
    # Counted as approvals (what `--rule greedy` does) the outcome is not the city's.
    count = supporters(pb)
    as_approvals = score_greedy(election.instance, count, count)
    assert set(as_approvals.selected) != set(result.selected)


def test_cumulative_points_decide_czestochowa():
    pb, election = load(SHARED / "Poland_Czestochowa_2020_Grabowka.pb")
    result = official(pb, election)
    pts = scores(pb)
    funded = [pts[p] for p in result.selected]
    assert funded == sorted(funded, reverse=True) and result.cost <= election.instance.budget


def test_assen_add1_without_the_completion_the_city_did_not_run():
    pb, election = load(SHARED / "Netherlands_Assen_2024.pb")
    assert "7" not in official(pb, election).selected
    # add1u (the utilitarian completion) would add project 7, as pabutools' mes-add1 does.
    assert "7" in official(pb, election, {"completion": "add1u"}).selected


def _toy(rule: str, vote_type: str = "approval", extra_meta: str = "", votes: str = "", points: bool = False) -> str:
    header = "voter_id;vote;points" if points else "voter_id;vote"
    return (
        f"META\nkey;value\nbudget;10\nvote_type;{vote_type}\nrule;{rule}\n{extra_meta}"
        "PROJECTS\nproject_id;cost\nA;6\nB;5\nC;3\nD;1\n"
        f"VOTES\n{header}\n{votes}"
    )


APPROVALS = "1;A,B\n2;A,B\n3;A,B,C\n4;B,C\n5;C,D\n"  # votes A3 B4 C3 D1


def test_greedy_variants_differ_as_named():
    for rule, expected in (("greedy", ["B", "C", "D"]), ("greedy-no-skip", ["B", "C"])):
        pb = parse(_toy(rule, votes=APPROVALS))
        assert list(official(pb, to_election(pb)).selected) == expected
        assert list(official(pb, to_election(pb), explain=False).selected) == expected
    pb = parse(_toy("greedy-threshold", extra_meta="min_project_score_threshold;4\n", votes=APPROVALS))
    result = official(pb, to_election(pb))
    assert list(result.selected) == ["B"]
    assert {result.explanation(p).code for p in "ACD"} == {"below_threshold"}
    assert official(pb, to_election(pb), explain=False).selected == ("B",)
    stopped = official(*(lambda p: (p, to_election(p)))(parse(_toy("greedy-no-skip", votes=APPROVALS))))
    assert stopped.explanation("D").code == "stopped" and "A" in stopped.explanation("D").reason_zh


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        (_toy("greedy-threshold", votes=APPROVALS), UnsupportedRule, "min_project_score_threshold"),
        (_toy("sainte-lague", votes=APPROVALS), UnsupportedRule, "'sainte-lague' is not covered"),
        (_toy("", votes=APPROVALS), UnsupportedRule, "no rule"),
        (_toy("greedy", "ordinal", votes=APPROVALS), UnreadableBallots, "max_length"),
        (_toy("equalshares/add1", "cumulative", votes="1;A,B;3,2\n", points=True), UnreadableBallots, "'cumulative'"),
    ],
)
def test_what_cannot_be_read_is_refused_never_counted_as_approval(text, error, words):
    pb = parse(text)
    with pytest.raises(error, match=words):
        official(pb, to_election(pb))


def test_a_score_column_counted_another_way_is_refused():
    text = _toy("greedy", "ordinal", "max_length;2\n", "1;A,B\n").replace(
        "project_id;cost\nA;6\nB;5\nC;3\nD;1", "project_id;cost;score\nA;6;3\nB;5;1\nC;3;0\nD;1;0"
    )
    pb = parse(text)
    with pytest.raises(UnreadableBallots, match="score column says 3"):
        official(pb, to_election(pb))


def test_parameters_a_rule_does_not_take_are_refused():
    pb = parse(_toy("greedy", votes=APPROVALS))
    with pytest.raises(ParameterError, match="takes no parameter 'completion'"):
        official(pb, to_election(pb), {"completion": "add1"})
    for bad in (
        {"completion": "add2"},
        {"comparison": "votes"},
        {"tie_breaking": ("random",)},
        {"completion": "none", "integral": True},
        {"increment": 0},
        {"accuracy": "floats"},
    ):
        with pytest.raises(ParameterError):
            EqualSharesParams(**bad)
    with pytest.raises(ParameterError, match="unknown tie-breaking 'minVotes'"):
        parse_tie_breaking("maxVotes,minVotes")
    assert parse_tie_breaking("maxVotes,[3;1]") == ("maxVotes", ("3", "1"))


def test_a_tie_the_tie_breaking_cannot_settle_is_an_error():
    pb, election = load(SHARED / "Netherlands_Assen_2024.pb")
    ballots = [frozenset(b) for b in pb.ballots()]
    with pytest.raises(TieError, match="tie between projects 2, 11"):
        equalshares(election.instance, ballots, EqualSharesParams(tie_breaking=()), election.money_scale)
    # A priority list settles it; which project goes first follows the list.
    first = equalshares(
        election.instance, ballots, EqualSharesParams(tie_breaking=(("11", "2"),)), election.money_scale
    )
    assert set(first.selected) == set(official(pb, election).selected)


def test_scoring_and_choose_one_ballots_count_their_way():
    # Scores: A 1+1 = 2, B 9, C 2+2 = 4, D 0. By score: B (5) then C (3) then D (1); by approvals A would lead.
    scoring = parse(_toy("greedy", "scoring", votes="1;A,B;1,9\n2;A,C;1,2\n3;C;2\n", points=True))
    assert scores(scoring) == {"A": 2, "B": 9, "C": 4, "D": 0}
    assert list(official(scoring, to_election(scoring)).selected) == ["B", "C", "D"]
    choose_one = parse(_toy("greedy", "choose-1", votes="1;A\n2;A\n3;D\n"))
    # Like pabutools' greedy, a project nobody chose is still funded when it fits (C after A and D).
    assert list(official(choose_one, to_election(choose_one)).selected) == ["A", "D", "C"]
