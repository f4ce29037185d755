"""`weishi pb allocate`: JSON winners on stdout, malformed files named by line on stderr, pabutools' winners."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli

SHARED = Path(__file__).resolve().parents[2] / "shared" / "pabulib"
ASSEN = SHARED / "Netherlands_Assen_2024.pb"

# Budget 8, four voters: greedy funds A then C by votes; equal shares funds A, then B (C's supporters
# spent their shares on A). Hand-computed in tests/whatif/test_what_if.py.
TOY = """META
key;value
description;toy
num_projects;3
num_votes;4
budget;8
vote_type;approval
PROJECTS
project_id;cost
A;6
B;2
C;2
VOTES
voter_id;vote
v1;A,C
v2;A,C
v3;A
v4;B
"""

runner = CliRunner()


def run(tmp_path: Path, text: str, *args: str):
    """Invoke `weishi pb allocate ARGS FILE` on text written to a file."""
    path = tmp_path / "election.pb"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(cli, ["pb", "allocate", *args, str(path)])


@pytest.mark.parametrize(("rule", "selected"), [("greedy", ["A", "C"]), ("mes", ["A", "B"]), ("mes-add1", ["A", "B"])])
def test_prints_rule_winners_and_cost_as_json(tmp_path, rule, selected):
    result = run(tmp_path, TOY, "--rule", rule)
    assert result.exit_code == 0, result.output
    assert result.stdout == json.dumps({"rule": rule, "selected": selected, "cost": 8}) + "\n"
    assert result.stderr == ""


def test_tie_break_explain_and_decimal_money(tmp_path):
    # A and C tie on votes: the default tie-break prefers the cheaper C, lexico the smaller id A.
    text = TOY.replace("A;6\nB;2\nC;2", "C;2\nB;2\nA;6").replace("budget;8", "budget;8.5")
    text = text.replace("v4;B", "v4;B,C")
    default = json.loads(run(tmp_path, text, "--rule", "greedy").stdout)
    lexico = json.loads(run(tmp_path, text, "--rule", "greedy", "--tie-break", "lexico").stdout)
    assert default["selected"] == ["C", "A"] and lexico["selected"] == ["A", "C"]
    explained = json.loads(run(tmp_path, text.replace("C;2\n", "C;2.25\n"), "--rule", "mes", "--explain").stdout)
    assert explained["meta"]["money_scale"] == 100 and explained["meta"]["budget"] == "8.5"
    assert explained["cost"] == explained["allocation"]["cost"] / 100
    assert {e["project_id"] for e in explained["allocation"]["explanations"]} == {"A", "B", "C"}


def test_increment_in_the_files_currency(tmp_path):
    ok = run(tmp_path, TOY, "--rule", "mes-add1", "--voter-budget-increment", "2", "--explain")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["allocation"]["voter_budget"] == "2/1"
    bad = run(tmp_path, TOY, "--rule", "mes-add1", "--voter-budget-increment", "0.5")
    assert bad.exit_code == 1 and "positive multiple of 1/1" in bad.stderr


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("PROJECTS\n", "PROJECT\n", 8, "unknown section 'PROJECT'"),
        ("B;2\n", "B;2;bench\n", 11, "expected 2 fields"),
        ("B;2\n", "B;two\n", 11, "cost not a number"),
        ("v4;B", "v4;D", 18, "unknown project 'D'"),
        ("budget;8\n", "", 17, "lacks a budget"),
        ("num_votes;4", "num_votes;5", 5, "num_votes is 5"),
    ],
)
def test_malformed_file_exits_1_naming_the_line(tmp_path, old, new, line, message):
    assert old in TOY
    result = run(tmp_path, TOY.replace(old, new, 1), "--rule", "mes")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"election.pb: line {line}: " in result.stderr and message in result.stderr


def test_not_utf8_and_usage_errors(tmp_path):
    path = tmp_path / "latin1.pb"
    path.write_bytes(TOY.replace("description;toy", "description;Lumières").encode("latin-1"))
    result = runner.invoke(cli, ["pb", "allocate", "--rule", "mes", str(path)])
    assert result.exit_code == 1 and "line 3: not UTF-8" in result.stderr
    assert runner.invoke(cli, ["pb", "allocate", "--rule", "mes", str(tmp_path / "missing.pb")]).exit_code == 2
    assert run(tmp_path, TOY, "--rule", "dictator").exit_code == 2


@pytest.mark.skipif(not ASSEN.is_file(), reason=f"real pabulib file not found: {ASSEN} (../shared beside the repo)")
@pytest.mark.parametrize("rule", ["greedy", "mes", "mes-add1"])
def test_real_file_winners_equal_pabutools(rule):
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare, method_of_equal_shares

    result = runner.invoke(cli, ["pb", "allocate", "--rule", rule, "--tie-break", "lexico", str(ASSEN)])
    assert result.exit_code == 0, result.output
    ours = json.loads(result.stdout)
    instance, profile = parse_pabulib(str(ASSEN))
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    elif rule == "mes":
        outcome = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
    else:
        outcome = completion_by_rule_combination(
            instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": Cost_Sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}],
        )
    assert ours["selected"] == [p.name for p in outcome]
    assert ours["cost"] == sum(int(p.cost) for p in outcome) <= int(instance.budget_limit)


@pytest.mark.skipif(not ASSEN.is_file(), reason=f"real pabulib file not found: {ASSEN}")
def test_official_rule_and_its_refusals():
    krakow = SHARED / "Poland_Krakow_2024_Podgorze.pb"
    result = runner.invoke(cli, ["pb", "allocate", "--rule", "official", str(krakow)])
    assert result.exit_code == 0, result.output
    selected = {
        line.split(";")[0]
        for line in krakow.read_text(encoding="utf-8").splitlines()
        if line.startswith("BO.") and line.endswith(";1")
    }
    assert set(json.loads(result.stdout)["selected"]) == selected
    as_approvals = runner.invoke(cli, ["pb", "allocate", "--rule", "greedy", str(krakow)])
    assert as_approvals.exit_code == 1 and "vote_type is 'ordinal'" in as_approvals.stderr
    assert "never counted as approval" in as_approvals.stderr
    refused = runner.invoke(cli, ["pb", "allocate", "--rule", "equalshares", str(krakow)])
    assert refused.exit_code == 1 and "vote_type is 'ordinal'" in refused.stderr
    extra = runner.invoke(cli, ["pb", "allocate", "--rule", "official", "--completion", "add1", str(krakow)])
    assert extra.exit_code == 1 and "rule greedy takes no parameter 'completion'" in extra.stderr


def test_parameters_a_rule_does_not_take(tmp_path):
    bad = run(tmp_path, TOY, "--rule", "greedy", "--comparison", "satisfaction")
    assert bad.exit_code == 1 and "rule greedy takes no parameter 'comparison'" in bad.stderr
    unknown = run(tmp_path, TOY, "--rule", "official")
    assert unknown.exit_code == 1 and "no rule" in unknown.stderr
    ok = run(tmp_path, TOY, "--rule", "equalshares", "--completion", "add1u", "--tie-breaking", "maxVotes,[C;B;A]")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["selected"] == ["A", "B"]
    floats = run(tmp_path, TOY, "--rule", "equalshares", "--completion", "add1u", "--accuracy", "float", "--explain")
    assert floats.exit_code == 0 and json.loads(floats.stdout)["selected"] == ["A", "B"]
    assert "floating-point" in json.loads(floats.stdout)["allocation"]["variant"]["description_en"]
    bad_accuracy = run(tmp_path, TOY, "--rule", "equalshares", "--accuracy", "floats")
    assert bad_accuracy.exit_code == 1 and "unknown accuracy 'floats'" in bad_accuracy.stderr


def test_audit_flag_adds_the_fairness_audit(tmp_path):
    result = run(tmp_path, TOY, "--rule", "greedy", "--audit")
    assert result.exit_code == 0, result.output
    audit = json.loads(result.stdout)["audit"]
    assert audit["audit"]["excluded_voters"] == 1 and audit["audit"]["funded_approved_distribution"] == {
        "0": 1,
        "1": 1,
        "2": 2,
    }
    assert [o["rule"] for o in audit["others"]][:2] == ["mes", "mes-add1"]
