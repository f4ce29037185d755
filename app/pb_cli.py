"""`weishi pb`: run the allocation rules of app.analytics on a pabulib (.pb) file, offline."""

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from app.analytics.pabulib import PabulibError, decode, parse, to_election
from app.whatif.compute import RULES, TIE_BREAKS, file_units, increment_units, instance_meta, job, run_job

pb = typer.Typer(help="pabulib (.pb) files: allocate a budget the way a vote would.", no_args_is_help=True)

# Enums built from the analytics' own names, so the CLI's choices cannot drift from the rules.
Rule = Enum("Rule", {name: name for name in RULES}, type=str)
TieBreakName = Enum("TieBreakName", {name: name for name in TIE_BREAKS}, type=str)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@pb.command("allocate")
def allocate_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="the .pb file")],
    rule: Annotated[Rule, typer.Option(help="greedy, mes (equal shares) or mes-add1 (equal shares completed)")],
    tie_break: Annotated[TieBreakName, typer.Option(help="lexico gives pabutools' winners")] = TieBreakName["default"],
    voter_budget_increment: Annotated[
        str | None, typer.Option(help="mes-add1: raise each share by this much, in the file's currency [1]")
    ] = None,
    explain: Annotated[bool, typer.Option(help="add the file's meta and why each project was (not) funded")] = False,
) -> None:
    """Print {"rule", "selected", "cost"} as JSON; cost is in the file's currency."""
    try:
        parsed = parse(decode(file.read_bytes()))
    except PabulibError as exc:
        _fail(f"{file}: {exc}")
    election = to_election(parsed)
    try:
        increment = increment_units(voter_budget_increment, election.money_scale)
    except ValueError as exc:
        _fail(str(exc))
    result = run_job(job(election, Rule(rule).value, TieBreakName(tie_break).value, increment))
    out = {"rule": result["rule"], "selected": result["selected"],
           "cost": file_units(result["cost"], election.money_scale)}
    if explain:
        # The allocation's own amounts stay in the scaled whole units it computed with (see money_scale).
        out |= {"meta": instance_meta(parsed, election), "allocation": result}
    typer.echo(json.dumps(out, ensure_ascii=False))
