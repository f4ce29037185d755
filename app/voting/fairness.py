"""The fairness audit stored with a closed round's result: its outcome and, side by side, the other rules'."""

from __future__ import annotations

from typing import Any

from app.analytics.allocation import RULES, AllocationResult, Ballot, Instance, Project, allocate
from app.analytics.fairness import Profile, audit
from app.programmes.ruleset import POINT_BALLOTS
from app.voting.rules import TallyInput, choices_of

# The close runs inside a request: the EJR search gets a smaller budget of project sets than offline
# (beyond it the answer is stored as null, "not decided", never guessed).
CLOSE_EJR_LIMIT = 20_000


def round_fairness(tally: TallyInput, result: AllocationResult) -> dict[str, Any]:
    """Audit of the round's outcome and of greedy, mes and mes-add1 on the same counted ballots."""
    costs = {str(n): cost for n, cost in tally.costs.items()}
    merged = tuple(
        (frozenset(str(n) for n in choices_of(mask)), weight)
        for mask, weight in sorted(tally.profile.items())
        if weight > 0
    )
    profile = Profile(costs, tally.budget_fen, merged, {})
    instance = Instance(tally.budget_fen, tuple(Project(str(n), c, order=n) for n, c in sorted(tally.costs.items())))
    ballots = [Ballot(b, w) for b, w in merged]
    groups = [[str(n) for n in group] for group in tally.incompatible_groups]
    others: list[dict] = []
    audits: dict[frozenset[str], dict[str, Any]] = {}

    def audited(selected: tuple[str, ...]) -> dict[str, Any]:
        # Rules often agree: an outcome's audit depends on its set of projects only, so each set is audited once.
        key = frozenset(selected)
        if key not in audits:
            audits[key] = audit(profile, selected, CLOSE_EJR_LIMIT)
        return audits[key]

    if tally.rule.ballot_type in POINT_BALLOTS:
        # The other rules read approval ballots: not run on points. The outcome's own audit counts a voter as
        # served by a funded project they gave points to.
        return {
            "rule": tally.rule.allocation_rule,
            "variant": result.rule,
            "selected": list(result.selected),
            "ballots_read_as": "projects given points",
            "audit": audit(profile, result.selected, CLOSE_EJR_LIMIT),
            "others": others,
        }
    for rule in RULES:
        if rule == result.rule:
            continue
        # The outcome only: the other rules' explanations are never stored.
        other = allocate(
            instance,
            ballots,
            rule,
            tally.rule.tie_break,
            groups,
            voter_budget_increment=tally.rule.mes_increment_fen,
            explain=False,
        )
        others.append(
            {
                "rule": rule,
                "selected": list(other.selected),
                "error": None,
                "audit": audited(other.selected),
            }
        )
    return {
        "rule": tally.rule.allocation_rule,
        "variant": result.rule,
        "selected": list(result.selected),
        "audit": audited(result.selected),
        "others": others,
    }
