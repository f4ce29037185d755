"""What a pabulib file's ballots count for, per vote_type: approvals, or points per project.

A ballot type is read only the way its file defines it: ordinal ballots give points by rank
(max_length for the first choice, one less for each next, as Kraków counts), cumulative and scoring
ballots give their points. Where the file has its own `score` (or, for approval, `votes`) column,
the count must agree with it, so a different counting is refused rather than silently used.
"""

from __future__ import annotations

from fractions import Fraction

from app.analytics.pabulib import PabulibFile, number

APPROVAL_TYPES = ("approval", "choose-1")
POINT_TYPES = ("ordinal", "cumulative", "scoring")


class UnreadableBallots(ValueError):
    """Ballots that the requested counting cannot read; the message says why."""


def approvals(pb: PabulibFile, rule: str) -> tuple[frozenset[str], ...]:
    """Approval sets, only for approval and choose-1 ballots; anything else is refused, never read as approval."""
    if pb.vote_type not in APPROVAL_TYPES:
        raise UnreadableBallots(f"rule {rule} reads approval ballots; this file's vote_type is {pb.vote_type!r}")
    return pb.approval_sets()


def _ordinal_points(pb: PabulibFile) -> tuple[dict[str, Fraction], ...]:
    raw = pb.meta.get("max_length", "").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise UnreadableBallots("ordinal ballots give points by rank from META max_length, which this file lacks")
    top = int(raw)
    out = []
    for row, ranking in zip(pb.votes, pb.ballots(), strict=True):
        if len(ranking) > top:
            raise UnreadableBallots(f"voter {row['voter_id']} ranks {len(ranking)} projects but max_length is {top}")
        out.append({pid: Fraction(top - k) for k, pid in enumerate(ranking)})
    return tuple(out)


def points(pb: PabulibFile) -> tuple[dict[str, Fraction], ...]:
    """Each voter's points per project: 1 per approval, points by rank, or the points column."""
    if pb.vote_type in APPROVAL_TYPES:
        return tuple(dict.fromkeys(b, Fraction(1)) for b in pb.ballots())
    if pb.vote_type == "ordinal":
        return _ordinal_points(pb)
    if pb.vote_type in ("cumulative", "scoring"):
        return pb.points()
    raise UnreadableBallots(f"vote_type {pb.vote_type!r} cannot be read")


def scores(pb: PabulibFile) -> dict[str, Fraction]:
    """Total points per project, checked against the file's own score (or votes) column when it has one."""
    total = {pid: Fraction(0) for pid in pb.project_ids()}
    for ballot in points(pb):
        for pid, value in ballot.items():
            total[pid] += value
    column = "score" if "score" in pb.project_columns else "votes" if pb.vote_type in APPROVAL_TYPES else None
    if column and column in pb.project_columns:
        for row in pb.projects:
            try:
                stated = number(row[column])
            except ValueError:
                continue  # an empty or non-numeric cell states nothing to check against
            if stated != total[row["project_id"]]:
                raise UnreadableBallots(
                    f"project {row['project_id']}: the ballots count {total[row['project_id']]} but the file's "
                    f"{column} column says {row[column]}; the file counts its {pb.vote_type} ballots some other way"
                )
    return total


def supporters(pb: PabulibFile) -> dict[str, int]:
    """How many voters named each project."""
    count = dict.fromkeys(pb.project_ids(), 0)
    for ballot in pb.ballots():
        for pid in ballot:
            count[pid] += 1
    return count
