"""Allocate a pabulib election: pure (no web, no database), shared by `weishi pb` and the what-if API.

`python -m app.whatif.compute` reads one job as JSON on stdin and writes the allocation as JSON on
stdout; the API runs each allocation in such a child process so that it can stop one that runs too long.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from typing import Any

from app.analytics import allocation_text as text
from app.analytics.allocation import RULES, TIE_BREAKS, Ballot, Instance, Project, allocate
from app.analytics.pabulib import PabulibElection, PabulibFile, number, parse, to_election
from app.whatif import rules

__all__ = [
    "RULES",
    "TIE_BREAKS",
    "file_job",
    "file_units",
    "increment_units",
    "instance_meta",
    "job",
    "run_file_job",
    "run_job",
]


def increment_units(value: str | None, money_scale: int) -> int:
    """mes-add1's voter_budget_increment, given in the file's currency, as whole scaled units (default: 1)."""
    if value is None or not value.strip():
        return money_scale
    try:
        amount = number(value)
    except ValueError as exc:
        raise ValueError(f"voter_budget_increment {exc}") from None
    scaled = amount * money_scale
    if amount <= 0 or scaled.denominator != 1:
        raise ValueError(
            f"voter_budget_increment must be a positive multiple of 1/{money_scale} "
            f"of the file's currency, not {value!r}"
        )
    return int(scaled)


def file_units(amount: int, money_scale: int) -> int | float:
    """A scaled amount back in the file's currency: an int when whole, else a float (exact below 10^15)."""
    value = Fraction(amount, money_scale)
    return value.numerator if value.denominator == 1 else float(value)


def instance_meta(pb: PabulibFile, election: PabulibElection) -> dict[str, Any]:
    """What the file says about itself, counted rather than trusted, with the scale its money was read at."""
    budget = Fraction(election.instance.budget, election.money_scale)
    return {
        "description": pb.meta.get("description"),
        "num_projects": len(pb.projects),
        "num_votes": len(pb.votes),
        "budget": str(Decimal(budget.numerator) / Decimal(budget.denominator)),
        "vote_type": pb.vote_type,
        "money_scale": election.money_scale,
    }


def job(
    election: PabulibElection, rule: str, tie_break: str, increment: int, currency: str | None = None
) -> dict[str, Any]:
    """A JSON-ready allocation job; identical ballots are merged, which keeps the child's input small. Its
    explanations write amounts in the file's currency (META `currency`; no unit without one)."""
    counts = Counter(election.ballots)
    return {
        "money_scale": election.money_scale,
        "currency": currency,
        "budget": election.instance.budget,
        "projects": [[p.id, p.cost, p.order] for p in election.instance.projects],
        "ballots": [[sorted(approved), weight] for approved, weight in counts.items()],
        "rule": rule,
        "tie_break": tie_break,
        "increment": increment,
    }


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Run a job made by `job` and return AllocationResult.to_dict()."""
    instance = Instance(spec["budget"], tuple(Project(pid, cost, order) for pid, cost, order in spec["projects"]))
    ballots = [Ballot(frozenset(approved), weight) for approved, weight in spec["ballots"]]
    unit = text.file_unit(spec["money_scale"], spec.get("currency")) if "money_scale" in spec else text.YUAN
    with text.money_unit(unit):
        result = allocate(instance, ballots, spec["rule"], spec["tie_break"], voter_budget_increment=spec["increment"])
    return result.to_dict()


def file_job(
    text: str,
    rule: str,
    options: dict[str, str | None],
    *,
    tie_break: str = "default",
    increment: int | None = None,
    audit: bool = False,
) -> dict[str, Any]:
    """A job that carries the file's text: for the rules that read the whole file, or for an audit."""
    return {
        "kind": "file",
        "text": text,
        "rule": rule,
        "options": options,
        "tie_break": tie_break,
        "increment": increment,
        "audit": audit,
    }


def run_file_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Run a job made by `file_job`: the result, or {"refused": {code, message, detail_zh, extra}}."""
    from app.whatif.audit import audit_file  # only the audit needs it

    pb = parse(spec["text"])
    election = to_election(pb)
    currency = pb.meta.get("currency")
    try:
        if spec["rule"] in rules.FILE_RULES:
            params = rules.overrides(spec["rule"], spec["options"])
            with text.money_unit(text.file_unit(election.money_scale, currency)):
                result = rules.run(pb, election, spec["rule"], params).to_dict()
        else:
            result = run_job(job(election, spec["rule"], spec["tie_break"], spec["increment"], currency))
        if spec.get("audit"):
            result["audit"] = audit_file(pb, election, result["rule"], result["selected"])
        return result
    except rules.AllocationRefused as exc:
        return {"refused": {"code": exc.code, "message": exc.message, "detail_zh": exc.detail_zh, "extra": exc.extra}}


def main() -> None:
    """Child-process entry: one job on stdin, its result on stdout."""
    spec = json.loads(sys.stdin.buffer.read())
    result = run_file_job(spec) if spec.get("kind") == "file" else run_job(spec)
    sys.stdout.write(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
