"""The pabulib reader/writer, and our rules against pabutools on five real pabulib files."""

from fractions import Fraction
from pathlib import Path

import pytest
from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, parse_pabulib
from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare, method_of_equal_shares

from app.analytics.allocation import allocate
from app.analytics.pabulib import PabulibError, decode, dump, parse, to_election

SHARED = Path(__file__).resolve().parents[3] / "shared" / "pabulib"
FILES = sorted(SHARED.glob("*.pb"))
EXPECTED = {  # vote_type, projects, voters, budget scaled to whole units, money scale
    "France_Toulouse": ("approval", 10, 404, 400000, 1),
    "Netherlands_Assen": ("approval", 14, 84, 100000, 1),
    "Poland_Czestochowa": ("cumulative", 8, 201, 225862, 1),
    "Poland_Krakow": ("ordinal", 54, 6839, 257294676, 100),
    "Poland_Warszawa": ("approval", 16, 1006, 686996, 1),
}

pytestmark = pytest.mark.skipif(len(FILES) != 5, reason=f"the five pabulib files are not in {SHARED}")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def expected_for(path: Path):
    return next(v for k, v in EXPECTED.items() if path.name.startswith(k))


@pytest.fixture(scope="module", params=FILES, ids=lambda p: p.name.split("_")[1])
def real_file(request):
    path = request.param
    return path, parse(read(path))


def test_real_files_parse(real_file):
    path, pb = real_file
    vote_type, n_projects, n_votes, budget, scale = expected_for(path)
    assert pb.vote_type == vote_type
    assert len(pb.projects) == n_projects == int(pb.meta["num_projects"])
    assert len(pb.votes) == n_votes == int(pb.meta["num_votes"])
    election = to_election(pb)
    assert election.instance.budget == budget and election.money_scale == scale
    assert [p.id for p in election.instance.projects] == list(pb.project_ids())
    assert [p.order for p in election.instance.projects] == list(range(n_projects))
    assert len(election.ballots) == n_votes


def test_real_files_round_trip(real_file):
    _, pb = real_file
    text = dump(pb)
    assert parse(text) == pb
    assert dump(parse(text)) == text


def test_cumulative_points_and_ordinal_rankings():
    pb = parse(read(next(p for p in FILES if "Czestochowa" in p.name)))
    assert pb.points()[0] == {"196": Fraction(6), "198": Fraction(4)}
    pb = parse(read(next(p for p in FILES if "Krakow" in p.name)))
    assert pb.ballots()[0] == ("BO.D13.1/24", "BO.D13.28/24", "BO.D13.33/24")
    assert pb.votes[0]["age"] == "18"  # other columns stay readable as raw text
    with pytest.raises(ValueError, match="no points"):
        pb.points()


def pabutools_outcome(path: Path, rule: str) -> tuple[str, ...]:
    instance, profile = parse_pabulib(str(path))
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    elif rule == "mes":
        outcome = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    else:
        # Same rule on a multiprofile (identical ballots merged, named projects = approvals, as
        # Cost_Sat reads any ballot): pabutools needs ~60 s on the plain profiles, ~17 s on these.
        multi = ApprovalProfile([ApprovalBallot(b) for b in profile], instance=instance).as_multiprofile()
        outcome = completion_by_rule_combination(
            instance,
            multi,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": Cost_Sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}],
        )
    return tuple(p.name for p in outcome)


@pytest.mark.parametrize("rule", ["greedy", "mes", "mes-add1"])
def test_real_files_winners_equal_pabutools(real_file, rule):
    path, pb = real_file
    election = to_election(pb)
    ours = allocate(
        election.instance, election.ballots, rule, "lexico", voter_budget_increment=election.voter_budget_increment
    )
    assert ours.selected == pabutools_outcome(path, rule)
    assert ours.cost <= election.instance.budget


# --- malformed files -------------------------------------------------------------------------

GOOD = """META
key;value
description;tiny
num_projects;2
num_votes;2
budget;10,5
vote_type;approval
PROJECTS
project_id;cost;name
1;5;"Park; benches"
2;4.25;Lights
VOTES
voter_id;vote
v1;1,2
v2;2
"""


def test_small_file_with_decimal_money_and_quoted_field():
    pb = parse("\ufeff" + GOOD.replace("\n", "\r\n"))
    assert pb.projects[0]["name"] == "Park; benches"
    assert pb.ballots() == (("1", "2"), ("2",))
    election = to_election(pb)
    assert election.money_scale == 100 and election.voter_budget_increment == 100
    assert election.instance.budget == 1050
    assert [p.cost for p in election.instance.projects] == [500, 425]
    assert parse(dump(pb)) == pb


def broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("hello\n" + GOOD, 1, "before the META"),
        (broken("key;value\n", ""), 2, "lacks column 'key'"),
        (broken("PROJECTS\n", "VOTES\n"), 8, "out of order"),
        (broken("2;4.25;Lights", "2;4.25"), 11, "expected 3 fields"),
        (broken("2;4.25;Lights", "1;4.25;Lights"), 11, "duplicate project_id"),
        (broken("2;4.25;Lights", "2;cheap;Lights"), 11, "cost not a number"),
        (broken("2;4.25;Lights", "2;-4;Lights"), 11, "negative cost"),
        (broken("v2;2", "v2;3"), 15, "unknown project '3'"),
        (broken("v2;2", "v1;2"), 15, "duplicate voter_id"),
        (broken("v2;2", "v2;2,2"), 15, "names a project twice"),
        (broken("num_votes;2", "num_votes;3"), 5, "num_votes is 3"),
        (broken("budget;10,5", "budget;lots"), 6, "budget not a number"),
        (broken("budget;10,5\n", ""), 14, "lacks a budget"),
        (GOOD.split("VOTES")[0], 11, "missing VOTES"),
        (broken("description;tiny", "description;tiny\nbudget;3"), 7, "duplicate META key"),
        (broken("PROJECTS\nproject_id;cost;name\n", "PROJECTS\nVOTES\n"), 9, "no header row"),
        (broken("PROJECTS\n", "BUDGETS\nPROJECTS\n"), 8, "unknown section 'BUDGETS'"),
        (broken("vote_type;approval", "vote_type;weird"), 7, "unknown vote_type 'weird'"),
        (broken("budget;10,5", "budget;-3"), 6, "negative budget"),
        (broken("budget;10,5", "budget;1e999999999"), 6, "budget out of range"),
        (broken("2;4.25;Lights", "2;4.1234567;Lights"), 11, "more than 6 decimal places"),
        (broken("2;4.25;Lights", "2;1e15;Lights"), 11, "cost too large"),
        (broken("2;4.25;Lights", "2;1e-999999999;Lights"), 11, "cost out of range"),
    ],
)
def test_malformed_files_name_the_line(text, line, message):
    with pytest.raises(PabulibError, match=message) as info:
        parse(text)
    assert info.value.line_number == line
    assert str(info.value).startswith(f"line {line}: ")


def test_bytes_that_are_not_utf8_name_their_line():
    data = GOOD.encode("utf-8").replace(b"Lights", "Lumières".encode("latin-1"))
    with pytest.raises(PabulibError, match="not UTF-8") as info:
        decode(data)
    assert info.value.line_number == 11
    assert parse(decode(b"\xef\xbb\xbf" + GOOD.encode())) == parse(GOOD)


def test_cumulative_points_must_match_the_vote():
    text = broken("vote_type;approval", "vote_type;cumulative").replace("voter_id;vote", "voter_id;vote;points")
    text = text.replace("v1;1,2", "v1;1,2;3,2").replace("v2;2\n", "v2;2;1,4\n")
    with pytest.raises(PabulibError, match="1 projects but 2 points") as info:
        parse(text)
    assert info.value.line_number == 15
