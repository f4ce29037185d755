"""`weishi pb`: run the allocation rules of app.analytics on a pabulib (.pb) file, offline."""

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from app.analytics.allocation_text import file_unit, money_unit
from app.analytics.pabulib import PabulibError, decode, parse, to_election
from app.whatif.audit import audit_file
from app.whatif.compute import RULES, TIE_BREAKS, file_units, increment_units, instance_meta, job, run_job
from app.whatif.rules import APPROVAL_VOTE_TYPES, FILE_RULES, AllocationRefused, overrides, run

pb = typer.Typer(help="pabulib (.pb) files: allocate a budget the way a vote would.", no_args_is_help=True)

# Enums built from the analytics' own names, so the CLI's choices cannot drift from the rules.
Rule = Enum("Rule", {name: name for name in RULES + FILE_RULES}, type=str)
TieBreakName = Enum("TieBreakName", {name: name for name in TIE_BREAKS}, type=str)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@pb.command("allocate")
def allocate_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="the .pb file")],
    rule: Annotated[
        Rule,
        typer.Option(
            help="greedy, mes, mes-add1 (pabutools' variants); equalshares "
            "(equalshares.net's, see --completion); official (the file's own rule)"
        ),
    ],
    tie_break: Annotated[TieBreakName, typer.Option(help="lexico gives pabutools' winners")] = TieBreakName["default"],
    voter_budget_increment: Annotated[
        str | None,
        typer.Option(help="mes-add1, equalshares: raise each share by this much, in the file's currency [1]"),
    ] = None,
    completion: Annotated[
        str | None, typer.Option(help="equalshares: none, utilitarian, add1, add1e, add1u or add1eu")
    ] = None,
    integral: Annotated[
        bool | None,
        typer.Option("--integral/--no-integral", help="equalshares add1*: start from a whole unit per voter"),
    ] = None,
    comparison: Annotated[str | None, typer.Option(help="equalshares: none, satisfaction or exclusionRatio")] = None,
    tie_breaking: Annotated[
        str | None, typer.Option(help="equalshares: e.g. maxVotes,minCost or maxVotes,[id;id;...]")
    ] = None,
    accuracy: Annotated[str | None, typer.Option(help="equalshares: exact (default) or float arithmetic")] = None,
    explain: Annotated[bool, typer.Option(help="add the file's meta and why each project was (not) funded")] = False,
    audit: Annotated[bool, typer.Option(help="add the fairness audit of this and the other rules' outcomes")] = False,
) -> None:
    """Print {"rule", "selected", "cost"} as JSON; cost is in the file's currency."""
    try:
        parsed = parse(decode(file.read_bytes()))
    except PabulibError as exc:
        _fail(f"{file}: {exc}")
    election = to_election(parsed)
    name = Rule(rule).value
    options = {
        "completion": completion,
        "integral": None if integral is None else str(integral),
        "comparison": comparison,
        "tie_breaking": tie_breaking,
        "accuracy": accuracy,
    }
    if name in FILE_RULES:
        if TieBreakName(tie_break).value != "default":
            _fail(f"rule {name} takes no --tie-break; use --tie-breaking")
        try:
            params = overrides(name, {**options, "voter_budget_increment": voter_budget_increment})
            with money_unit(file_unit(election.money_scale, parsed.meta.get("currency"))):
                result = run(parsed, election, name, params).to_dict()
        except AllocationRefused as exc:
            _fail(f"{file}: {exc.message} ({exc.detail_zh})")
    else:
        given = [k for k, v in options.items() if v is not None]
        if voter_budget_increment is not None and name != "mes-add1":
            given.insert(0, "voter_budget_increment")
        if given:
            _fail(f"rule {name} takes no parameter {given[0]!r}")
        try:
            increment = increment_units(voter_budget_increment, election.money_scale)
        except ValueError as exc:
            _fail(str(exc))
        if parsed.vote_type not in APPROVAL_VOTE_TYPES:
            # pabutools' variants would read any ballot as the approval of what it names: a different count.
            _fail(
                f"{file}: rule {name} reads approval ballots only; this file's vote_type is {parsed.vote_type!r} "
                "and is never counted as approval: --rule official counts it the file's way"
            )
        result = run_job(job(election, name, TieBreakName(tie_break).value, increment, parsed.meta.get("currency")))
    out = {
        "rule": result["rule"],
        "selected": result["selected"],
        "cost": file_units(result["cost"], election.money_scale),
    }
    if explain:
        # The allocation's own amounts stay in the scaled whole units it computed with (see money_scale).
        out |= {"meta": instance_meta(parsed, election), "allocation": result}
    if audit:
        try:
            out["audit"] = audit_file(parsed, election, result["rule"], result["selected"])
        except AllocationRefused as exc:
            _fail(f"{file}: {exc.message} ({exc.detail_zh})")
    typer.echo(json.dumps(out, ensure_ascii=False))
