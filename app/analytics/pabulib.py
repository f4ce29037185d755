"""Read and write the pabulib `.pb` format (META, PROJECTS, VOTES) as text; the caller does file IO."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from app.analytics.allocation_model import Instance, Project

SECTIONS = ("meta", "projects", "votes")
_REQUIRED = {"meta": ("key", "value"), "projects": ("project_id", "cost"), "votes": ("voter_id", "vote")}
_POINTS_TYPES = ("cumulative", "scoring")
VOTE_TYPES = ("approval", "ordinal", "cumulative", "scoring", "choose-1")
# Bounds on numbers, checked before a Decimal becomes a Fraction: "1e-999999" would otherwise make
# exact arithmetic (and the power-of-ten money scale) crawl. Money gets tighter, still generous bounds.
_MAX_DIGITS = 40
MAX_AMOUNT = 10**15
MAX_DECIMALS = 6


class PabulibError(ValueError):
    """A malformed pabulib file; `line_number` is 1-based."""

    def __init__(self, message: str, line_number: int) -> None:
        super().__init__(f"line {line_number}: {message}")
        self.message = message
        self.line_number = line_number


@dataclass(frozen=True)
class PabulibFile:
    """A parsed file: META as ordered key/values, PROJECTS and VOTES as raw rows keyed by column."""

    meta: dict[str, str]
    project_columns: tuple[str, ...]
    projects: tuple[dict[str, str], ...]
    vote_columns: tuple[str, ...]
    votes: tuple[dict[str, str], ...]

    @property
    def vote_type(self) -> str:
        """The META vote_type (approval, cumulative, scoring, ordinal, choose-1)."""
        return self.meta.get("vote_type", "approval")

    def project_ids(self) -> tuple[str, ...]:
        """Project ids in file order."""
        return tuple(row["project_id"] for row in self.projects)

    def ballots(self) -> tuple[tuple[str, ...], ...]:
        """The projects each voter named, in the order written (for ordinal votes: the ranking)."""
        # Kept once made (the file never changes): the election, the counts and the rules all read them.
        known: tuple[tuple[str, ...], ...] | None = self.__dict__.get("_ballots")
        if known is None:
            known = tuple([_split(row["vote"]) for row in self.votes])
            object.__setattr__(self, "_ballots", known)
        return known

    def approval_sets(self) -> tuple[frozenset[str], ...]:
        """The projects each voter named, as sets (kept once made, like `ballots`)."""
        known: tuple[frozenset[str], ...] | None = self.__dict__.get("_sets")
        if known is None:
            known = tuple(map(frozenset, self.ballots()))
            object.__setattr__(self, "_sets", known)
        return known

    def points(self) -> tuple[dict[str, Fraction], ...]:
        """Points per project for cumulative or scoring votes."""
        if self.vote_type not in _POINTS_TYPES:
            raise ValueError(f"vote_type {self.vote_type!r} has no points")
        return tuple(
            dict(zip(_split(row["vote"]), (number(x) for x in _split(row["points"])), strict=True))
            for row in self.votes
        )


@dataclass(frozen=True)
class PabulibElection:
    """An allocation input made from a file; money is scaled by `money_scale` to whole units."""

    instance: Instance
    ballots: tuple[frozenset[str], ...]
    money_scale: int
    vote_type: str

    @property
    def voter_budget_increment(self) -> int:
        """The scaled equivalent of pabutools' voter_budget_increment=1 (one unit of the file's currency)."""
        return self.money_scale


def _split(value: str) -> tuple[str, ...]:
    return tuple(filter(None, map(str.strip, value.split(","))))


def number(text: str) -> Fraction:
    """An exact decimal ("1234.5" or "1234,5", as pabutools accepts); ValueError when not one or out of range."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a number: {text!r}")
    _, digits, exponent = value.as_tuple()
    if len(digits) > _MAX_DIGITS or not -_MAX_DIGITS <= int(exponent) <= _MAX_DIGITS:
        raise ValueError(f"out of range: {text!r}")
    return Fraction(value)


def _amount(text: str) -> Fraction:
    """A cost or budget: a number below MAX_AMOUNT with at most MAX_DECIMALS decimal places."""
    value = number(text)
    if abs(value) >= MAX_AMOUNT:
        raise ValueError(f"too large: {text!r} (at most {MAX_AMOUNT - 1})")
    if (value * 10**MAX_DECIMALS).denominator != 1:
        raise ValueError(f"has more than {MAX_DECIMALS} decimal places: {text!r}")
    return value


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    lines = text.removeprefix("\ufeff").splitlines()
    reader = csv.reader(lines, delimiter=";")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PabulibError(f"unreadable CSV: {exc}", reader.line_num) from None
        if row and any(cell.strip() for cell in row):
            yield reader.line_num, [cell.strip() for cell in row]


class _Parser:
    def __init__(self) -> None:
        self.section = ""
        self.columns: dict[str, tuple[str, ...]] = {}
        self.meta: dict[str, str] = {}
        self.meta_lines: dict[str, int] = {}
        self.projects: list[dict[str, str]] = []
        self.votes: list[dict[str, str]] = []
        self.voters: set[str] = set()
        self.known: set[str] = set()
        self.seen: list[str] = []
        self.awaiting_header = False

    def feed(self, line: int, row: list[str]) -> None:
        name = row[0].lower()
        if name in SECTIONS and all(not cell for cell in row[1:]):
            self._open(line, name)
        elif len(row) == 1 and row[0].isalpha() and row[0].isupper():
            # Every section has at least two columns, so a lone upper-case word is meant as a title.
            raise PabulibError(f"unknown section {row[0]!r} (expected META, PROJECTS or VOTES)", line)
        elif self.awaiting_header:
            self._header(line, row)
        elif not self.section:
            raise PabulibError("content before the META section", line)
        else:
            values = self._values(line, row)
            getattr(self, f"_{self.section}")(line, values)

    def _open(self, line: int, name: str) -> None:
        if self.awaiting_header:
            raise PabulibError(f"{self.section.upper()} section has no header row", line)
        if name in self.seen:
            raise PabulibError(f"duplicate {name.upper()} section", line)
        expected = SECTIONS[len(self.seen)]
        if name != expected:
            raise PabulibError(f"{name.upper()} section out of order (expected {expected.upper()})", line)
        self.seen.append(name)
        self.section, self.awaiting_header = name, True

    def _header(self, line: int, row: list[str]) -> None:
        if len(set(row)) != len(row) or not all(row):
            raise PabulibError(f"{self.section.upper()} header has empty or repeated column names", line)
        missing = [c for c in _REQUIRED[self.section] if c not in row]
        if missing:
            raise PabulibError(f"{self.section.upper()} header lacks column {missing[0]!r}", line)
        self.columns[self.section] = tuple(row)
        self.awaiting_header = False

    def _values(self, line: int, row: list[str]) -> dict[str, str]:
        columns = self.columns[self.section]
        if len(row) != len(columns):
            raise PabulibError(f"expected {len(columns)} fields ({';'.join(columns)}), found {len(row)}", line)
        return dict(zip(columns, row, strict=True))

    def _meta(self, line: int, values: dict[str, str]) -> None:
        key = values["key"]
        if not key:
            raise PabulibError("empty META key", line)
        if key in self.meta:
            raise PabulibError(f"duplicate META key {key!r}", line)
        if key == "vote_type" and values["value"] not in VOTE_TYPES:
            raise PabulibError(f"unknown vote_type {values['value']!r} (expected one of {', '.join(VOTE_TYPES)})", line)
        self.meta[key] = values["value"]
        self.meta_lines[key] = line

    def _projects(self, line: int, values: dict[str, str]) -> None:
        pid = values["project_id"]
        if not pid or "," in pid:
            raise PabulibError(f"invalid project_id {pid!r}", line)
        if pid in self.known:
            raise PabulibError(f"duplicate project_id {pid!r}", line)
        try:
            cost = _amount(values["cost"])
        except ValueError as exc:
            raise PabulibError(f"project {pid}: cost {exc}", line) from None
        if cost < 0:
            raise PabulibError(f"project {pid}: negative cost", line)
        self.known.add(pid)
        self.projects.append(values)

    def _votes(self, line: int, values: dict[str, str]) -> None:
        voter = values["voter_id"]
        if voter in self.voters:
            raise PabulibError(f"duplicate voter_id {voter!r}", line)
        self.voters.add(voter)
        named = _split(values["vote"])
        for pid in named:
            if pid not in self.known:
                raise PabulibError(f"voter {voter} votes for unknown project {pid!r}", line)
        if len(set(named)) != len(named):
            raise PabulibError(f"voter {voter} names a project twice", line)
        if self.meta.get("vote_type") in _POINTS_TYPES:
            self._check_points(line, voter, named, values)
        self.votes.append(values)

    def _check_points(self, line: int, voter: str, named: tuple[str, ...], values: dict[str, str]) -> None:
        if "points" not in values:
            raise PabulibError(f"{self.meta['vote_type']} votes need a points column", line)
        points = _split(values["points"])
        if len(points) != len(named):
            raise PabulibError(f"voter {voter}: {len(named)} projects but {len(points)} points", line)
        for value in points:
            try:
                number(value)
            except ValueError as exc:
                raise PabulibError(f"voter {voter}: points {exc}", line) from None

    def finish(self, last_line: int) -> PabulibFile:
        for name in SECTIONS:
            if name not in self.columns:
                raise PabulibError(f"missing {name.upper()} section (or its header)", last_line)
        for key, actual in (("num_projects", len(self.projects)), ("num_votes", len(self.votes))):
            if key in self.meta and self.meta[key] != str(actual):
                raise PabulibError(f"META {key} is {self.meta[key]} but the file has {actual}", self.meta_lines[key])
        if "budget" not in self.meta:
            raise PabulibError("META lacks a budget", last_line)
        try:
            budget = _amount(self.meta["budget"])
        except ValueError as exc:
            raise PabulibError(f"budget {exc}", self.meta_lines["budget"]) from None
        if budget < 0:
            raise PabulibError("negative budget", self.meta_lines["budget"])
        return PabulibFile(
            meta=dict(self.meta),
            project_columns=self.columns["projects"],
            projects=tuple(self.projects),
            vote_columns=self.columns["votes"],
            votes=tuple(self.votes),
        )


def decode(data: bytes) -> str:
    """The text of a .pb file's bytes (UTF-8, BOM or not); PabulibError names the first undecodable line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PabulibError("not UTF-8 text (pabulib files are UTF-8)", line) from None


def parse(text: str) -> PabulibFile:
    """Parse the text of a .pb file; raise PabulibError(message, line_number) when malformed."""
    parser = _Parser()
    line = 0
    for line, row in _rows(text):
        parser.feed(line, row)
    return parser.finish(max(line, 1))


def dump(pb: PabulibFile) -> str:
    """Write a PabulibFile back to .pb text (sections in order, one header row each)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(pb.meta.items())
    writer.writerow(["PROJECTS"])
    writer.writerow(pb.project_columns)
    writer.writerows([row[c] for c in pb.project_columns] for row in pb.projects)
    writer.writerow(["VOTES"])
    writer.writerow(pb.vote_columns)
    writer.writerows([row[c] for c in pb.vote_columns] for row in pb.votes)
    return out.getvalue()


def _scale(values: list[Fraction]) -> int:
    scale = 1
    for value in values:
        while (value * scale).denominator != 1:
            scale *= 10
    return scale


def to_election(pb: PabulibFile) -> PabulibElection:
    """Turn a parsed file into an allocation Instance and approval ballots (a project named = approved).

    Decimal amounts are scaled by the smallest power of ten that makes every cost and the budget
    whole, so equal shares stays exact; ordinal, cumulative and scoring votes count as approvals of
    the projects they name (as pabutools' Cost_Sat does).
    """
    costs = [_amount(row["cost"]) for row in pb.projects]
    budget = _amount(pb.meta["budget"])
    scale = _scale([budget, *costs])
    projects = tuple(
        Project(id=row["project_id"], cost=int(cost * scale), order=i)
        for i, (row, cost) in enumerate(zip(pb.projects, costs, strict=True))
    )
    return PabulibElection(
        instance=Instance(budget=int(budget * scale), projects=projects),
        ballots=pb.approval_sets(),
        money_scale=scale,
        vote_type=pb.vote_type,
    )
