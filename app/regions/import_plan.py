"""Merging checked CSV rows into a district's existing tree: what to create, reuse and fill in (pure).

Nodes are matched by name under their parent, the same key as the database's unique constraint,
which is what makes a re-import of the same file create nothing. A parent_subunit is named, not
located, so it must be unambiguous within its community: declared once in the file, or else
present exactly once among the community's existing sub-units.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field

from app.regions.csv_import import LineError, Row
from app.regions.models import RegionLevel
from app.regions.rules import LEVEL_LABELS, SUB_UNITS, level_error


@dataclass(frozen=True)
class ExistingNode:
    """A node already in the database (the district and its descendants)."""

    id: uuid.UUID
    parent_id: uuid.UUID | None
    level: RegionLevel
    name: str
    code: str | None
    path: str


@dataclass
class PlannedNode:
    """A node of the merged tree: existing, or new (to be created)."""

    ref: int
    parent_ref: int | None
    level: RegionLevel
    name: str
    code: str | None = None
    new: bool = True
    id: uuid.UUID | None = None  # known for existing nodes; new ones get theirs when inserted
    path: str | None = None
    code_line: int | None = None  # the line that gave the code, when the file gave it
    community_ref: int | None = None  # for sub-units: the community they belong to


@dataclass
class ImportPlan:
    """Every node the file names, parents before children, and the errors found."""

    nodes: list[PlannedNode] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    errors: list[LineError] = field(default_factory=list)

    @property
    def to_create(self) -> list[PlannedNode]:
        """New nodes, parents first."""
        return [n for n in self.nodes if n.new]

    @property
    def codes_to_set(self) -> list[PlannedNode]:
        """Existing nodes without a code that the file gives one."""
        return [n for n in self.nodes if not n.new and n.code_line is not None]

    def counts(self) -> tuple[Counter, Counter]:
        """Nodes created and existing nodes reused, per level."""
        created, existing = Counter(), Counter()
        for ref in self.touched:
            node = self.nodes[ref]
            (created if node.new else existing)[node.level] += 1
        return created, existing


class _Planner:
    def __init__(self, existing: list[ExistingNode]) -> None:
        self.plan = ImportPlan()
        self.index: dict[tuple[int | None, str], int] = {}
        self.errors: dict[tuple[int, str], None] = {}  # ordered and without repeats
        self.memo: dict[tuple[int, str], int | None] = {}
        self.decls: dict[int, dict[str, list[Row]]] = {}
        self.existing_units: dict[tuple[int, str], list[int]] = {}
        by_id: dict[uuid.UUID, int] = {}
        for node in sorted(existing, key=lambda n: len(n.path)):
            parent_ref = by_id.get(node.parent_id) if node.parent_id else None
            ref = self._add(parent_ref, node.level, node.name, code=node.code, new=False, id=node.id, path=node.path)
            by_id[node.id] = ref
            community_ref = self.plan.nodes[ref].community_ref
            if community_ref is not None:
                self.existing_units.setdefault((community_ref, node.name), []).append(ref)

    def _add(self, parent_ref: int | None, level: RegionLevel, name: str, **kw) -> int:
        ref = len(self.plan.nodes)
        community_ref = None
        if level in SUB_UNITS and parent_ref is not None:
            parent = self.plan.nodes[parent_ref]
            community_ref = parent_ref if parent.level == RegionLevel.community else parent.community_ref
        self.plan.nodes.append(PlannedNode(ref, parent_ref, level, name, community_ref=community_ref, **kw))
        self.index[(parent_ref, name)] = ref
        return ref

    def error(self, line: int, message: str) -> None:
        self.errors[(line, message)] = None

    def step(self, parent_ref: int | None, level: RegionLevel, name: str, line: int) -> int | None:
        """The node named name under parent, created in the plan when new; None after an error."""
        ref = self.index.get((parent_ref, name))
        if ref is not None:
            node = self.plan.nodes[ref]
            if node.level != level:
                self.error(line, f"{name} already exists as a {LEVEL_LABELS[node.level]}, not a {LEVEL_LABELS[level]}")
                return None
            self.plan.touched.add(ref)
            return ref
        parent_level = self.plan.nodes[parent_ref].level if parent_ref is not None else None
        problem = level_error(parent_level, level)
        if problem:
            self.error(line, f"{name}: {problem}")
            return None
        ref = self._add(parent_ref, level, name)
        self.plan.touched.add(ref)
        return ref

    def container(self, community_ref: int, name: str, line: int, visiting: frozenset[str]) -> int | None:
        """The sub-unit a parent_subunit names within a community, or None after an error."""
        key = (community_ref, name)
        if key in self.memo:
            return self.memo[key]
        community = self.plan.nodes[community_ref].name
        if name in visiting:
            self.error(line, f"parent_subunit {name} leads round in a circle within {community}")
            return None
        decls = self.decls.get(community_ref, {}).get(name, [])
        parents = sorted({d.parent_subunit or "" for d in decls})
        ref: int | None = None
        if len(parents) > 1:
            where = ", ".join(
                f"{p or community} (line {next(d.line for d in decls if (d.parent_subunit or '') == p)})"
                for p in parents
            )
            self.error(line, f"parent_subunit {name} is ambiguous: the file puts it under {where}")
        elif decls:
            first = decls[0]
            parent = (
                community_ref
                if first.parent_subunit is None
                else self.container(community_ref, first.parent_subunit, first.line, visiting | {name})
            )
            if parent is not None:
                ref = self.step(parent, first.subunit_level, name, first.line)
        else:
            found = self.existing_units.get(key, [])
            if len(found) == 1:
                ref = found[0]
                self.plan.touched.add(ref)
            elif not found:
                self.error(line, f"parent_subunit {name} is not in {community}; add a line for it")
            else:
                self.error(
                    line,
                    f"parent_subunit {name} is ambiguous: {community} has {len(found)} units of "
                    "that name; add a line that places it",
                )
        self.memo[key] = ref
        return ref

    def give_code(self, ref: int, code: str, line: int) -> None:
        node = self.plan.nodes[ref]
        if node.code is None:
            node.code, node.code_line = code, line
        elif node.code != code:
            if node.code_line is not None:
                self.error(line, f"{node.name} was given code {node.code} on line {node.code_line}, here {code}")
            else:
                self.error(
                    line,
                    f"{node.name} already has code {node.code}, the file says {code}; "
                    "change codes one by one (PATCH), not by import",
                )


def plan_import(rows: list[Row], existing: list[ExistingNode]) -> ImportPlan:
    """Match rows to the existing tree; plan.errors lists every line that cannot be applied."""
    p = _Planner(existing)
    deepest: list[tuple[Row, int | None]] = []
    sub_rows: list[tuple[Row, int]] = []
    for row in rows:
        ref = p.step(None, RegionLevel.district, row.district, row.line)
        for level, name in ((RegionLevel.street, row.street), (RegionLevel.community, row.community)):
            if ref is None or name is None:
                break
            ref = p.step(ref, level, name, row.line)
        if row.subunit is None or ref is None:
            deepest.append((row, ref))
            continue
        sub_rows.append((row, ref))
        p.decls.setdefault(ref, {}).setdefault(row.subunit, []).append(row)
    for row, community_ref in sub_rows:
        parent = (
            community_ref
            if row.parent_subunit is None
            else p.container(community_ref, row.parent_subunit, row.line, frozenset({row.subunit}))
        )
        if parent is None and not any(line == row.line for line, _ in p.errors):
            # Each bad line must say why, even when the cause was found while reading another line.
            p.error(row.line, f"parent_subunit {row.parent_subunit} cannot be placed; see the other errors")
        ref = None if parent is None else p.step(parent, row.subunit_level, row.subunit, row.line)
        deepest.append((row, ref))
    for row, ref in sorted(deepest, key=lambda item: item[0].line):
        if row.code and ref is not None:
            p.give_code(ref, row.code, row.line)
    p.plan.errors = sorted((LineError(line, msg) for line, msg in p.errors), key=lambda e: e.line)
    return p.plan
