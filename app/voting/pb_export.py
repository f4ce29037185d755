"""A closed round as a pabulib file (pure): anyone can recount it with `weishi pb allocate` or pabutools.

Ballots appear under the ids the close gave them, which appear nowhere else (not in the audit trail, not in any
other answer): a resident finds their own line by checking their receipt code (public receipts endpoint), and
nobody else can tell whose ballot is whose. Amounts are written in yuan (fen / 100).
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from app.analytics.pabulib import PabulibFile, dump
from app.programmes.ruleset import BallotRule
from app.voting.rules import equal_shares_params, points_of

# pabulib's names for the allocation rules.
RULE_NAMES = {"greedy": "greedy", "mes": "equalshares", "mes-add1": "equalshares/add1"}


def _rule_name(rule: BallotRule, numbers: Sequence[int]) -> str:
    """pabulib's name; equalshares.net variants by their full name (no pabulib rule names them all)."""
    if rule.allocation_rule != "equalshares":
        return RULE_NAMES[rule.allocation_rule]
    return equal_shares_params(rule, numbers).name()


def _yuan(fen: int) -> str:
    return str((Decimal(fen) / 100).normalize().quantize(Decimal(1)) if fen % 100 == 0 else Decimal(fen) / 100)


def round_file(
    *,
    round_id: str,
    title: str,
    community: str,
    opens_at: datetime,
    closes_at: datetime,
    budget_fen: int,
    rule: BallotRule,
    incompatible_groups: Sequence[Sequence[int]],
    projects: Sequence[tuple[int, str, int, int | None, bool | None]],
    ballots: Sequence[tuple[str, Sequence[int]]],
) -> str:
    """The .pb text: projects as (number, title, cost_fen, votes, selected), ballots as (ballot id, choices); a
    cumulative round's ballots name a project once per point (pabulib cumulative votes), a ranked round's are
    rankings (pabulib ordinal votes)."""
    meta = {
        "description": f"{community} {title}",
        "country": "China",
        "unit": community,
        "instance": round_id,
        "num_projects": str(len(projects)),
        "num_votes": str(len(ballots)),
        "budget": _yuan(budget_fen),
        "vote_type": "approval",
        "rule": _rule_name(rule, [p[0] for p in projects]),
        "date_begin": opens_at.date().isoformat(),
        "date_end": closes_at.date().isoformat(),
        "language": "zh",
        "currency": "CNY",
        "tie_break": rule.tie_break,
    }
    cumulative, ranked = rule.ballot_type == "cumulative", rule.ballot_type == "ranked"
    if rule.ballot_type in ("approval", "ranked"):
        meta |= {"min_length": str(rule.min_choices), "max_length": str(rule.max_choices)}
    if ranked:
        # pabulib ordinal: the vote column in rank order, points by rank from max_length.
        meta["vote_type"] = "ordinal"
    if cumulative:
        meta |= {"vote_type": "cumulative", "max_sum_points": str(rule.points_total)}
        if rule.max_points_per_project is not None:
            meta["max_points"] = str(rule.max_points_per_project)
    elif rule.ballot_type == "knapsack":
        meta |= {"ballot_type": "knapsack", "max_sum_cost": _yuan(budget_fen)}
    if rule.allocation_rule == "mes-add1":
        meta["voter_budget_increment"] = _yuan(rule.mes_increment_fen)
    if incompatible_groups:
        meta["incompatible_groups"] = " | ".join(",".join(str(n) for n in g) for g in incompatible_groups)
    project_rows = tuple(
        {
            "project_id": str(n),
            "cost": _yuan(cost),
            "votes": "" if votes is None else str(votes),
            "name": name.replace(";", "；"),
            "selected": "" if selected is None else str(int(selected)),
        }
        for n, name, cost, votes, selected in projects
    )
    columns = ("project_id", "cost", "votes", "name", "selected")
    if cumulative or ranked:
        # A point round's stored votes are its points: pabulib's score column (checked by the recount).
        project_rows = tuple({("score" if k == "votes" else k): v for k, v in row.items()} for row in project_rows)
        columns = ("project_id", "cost", "score", "name", "selected")
    if cumulative:
        vote_rows = tuple(
            {
                "voter_id": digest,
                "vote": ",".join(str(n) for n in given),
                "points": ",".join(str(p) for p in given.values()),
            }
            for digest, given in ((d, points_of(choices)) for d, choices in ballots)
        )
        return dump(
            PabulibFile(
                meta=meta,
                project_columns=columns,
                projects=project_rows,
                vote_columns=("voter_id", "vote", "points"),
                votes=vote_rows,
            )
        )
    # Approval and knapsack ballots sorted, rankings in rank order: as stored.
    vote_rows = tuple({"voter_id": digest, "vote": ",".join(str(n) for n in choices)} for digest, choices in ballots)
    return dump(
        PabulibFile(
            meta=meta,
            project_columns=columns,
            projects=project_rows,
            vote_columns=("voter_id", "vote"),
            votes=vote_rows,
        )
    )
