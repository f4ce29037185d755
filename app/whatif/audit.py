"""The fairness audit of a pabulib file's outcome, side by side with the other rules' outcomes (pure)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.analytics.allocation import allocate
from app.analytics.ballot_scores import UnreadableBallots, approvals
from app.analytics.equalshares_net import TieError, equalshares
from app.analytics.equalshares_params import EqualSharesParams
from app.analytics.fairness import audit, make_profile
from app.analytics.official import UnsupportedRule, file_rule, official
from app.analytics.pabulib import PabulibElection, PabulibFile
from app.whatif.rules import AllocationRefused


def _others(pb: PabulibFile, election: PabulibElection, ballots) -> dict[str, Callable[[], list[str]]]:
    inst, scale = election.instance, election.money_scale
    out: dict[str, Callable[[], list[str]]] = {
        rule: (
            lambda rule=rule: list(allocate(inst, ballots, rule, voter_budget_increment=scale, explain=False).selected)
        )
        for rule in ("greedy", "mes", "mes-add1")
    }
    params = EqualSharesParams(completion="add1e", integral=True)
    out[params.name()] = lambda: list(equalshares(inst, ballots, params, scale, explain=False).selected)
    try:
        rule = file_rule(pb)
        out[f"official:{rule}"] = lambda: list(official(pb, election, explain=False).selected)
    except UnsupportedRule:
        pass  # no official rule to compare with
    return out


def audit_file(pb: PabulibFile, election: PabulibElection, rule: str, selected: list[str]) -> dict[str, Any]:
    """Audit `selected` (what `rule` funded) and each other rule's outcome on the same approval ballots."""
    try:
        ballots = approvals(pb, "the fairness audit")
    except UnreadableBallots as exc:
        raise AllocationRefused("pb_ballots_unreadable", str(exc), vote_type=pb.vote_type) from None
    costs = {p.id: p.cost for p in election.instance.projects}
    categories = {}
    if "category" in pb.project_columns:
        categories = {
            row["project_id"]: tuple(c.strip() for c in row["category"].split(",") if c.strip()) for row in pb.projects
        }
    profile = make_profile(costs, election.instance.budget, ballots, categories)
    others = []
    for name, run in _others(pb, election, ballots).items():
        if name == rule:
            continue
        try:
            chosen = run()
        except TieError as exc:
            others.append({"rule": name, "selected": None, "error": str(exc), "audit": None})
            continue
        others.append({"rule": name, "selected": chosen, "error": None, "audit": audit(profile, chosen)})
    return {"rule": rule, "selected": selected, "audit": audit(profile, selected), "others": others}
