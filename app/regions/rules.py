"""Which level may sit under which, and how paths are formed (pure)."""

import uuid

from app.regions.models import RegionLevel

SUB_UNITS = (RegionLevel.grid, RegionLevel.compound, RegionLevel.group, RegionLevel.building)

ALLOWED_CHILDREN: dict[RegionLevel | None, tuple[RegionLevel, ...]] = {
    None: (RegionLevel.district,),
    RegionLevel.district: (RegionLevel.street,),
    RegionLevel.street: (RegionLevel.community,),
    RegionLevel.community: SUB_UNITS,
    RegionLevel.grid: (RegionLevel.compound, RegionLevel.group, RegionLevel.building),
    RegionLevel.compound: (RegionLevel.group, RegionLevel.building),
    RegionLevel.group: (RegionLevel.building,),
    RegionLevel.building: (),
}


def child_allowed(parent_level: RegionLevel | None, child_level: RegionLevel) -> bool:
    """Whether a node of child_level may be placed under a node of parent_level (None = root)."""
    return child_level in ALLOWED_CHILDREN[parent_level]


def child_path(parent_path: str | None, child_id: uuid.UUID) -> str:
    """The materialised path of a new node."""
    return (parent_path or "/") + child_id.hex + "/"


def is_within(path: str | None, scope_path: str | None) -> bool:
    """True when the node at path lies in the subtree rooted at scope_path (itself included); no path, or no
    scope, is within nothing. The one region-scope check on paths in Python; in SQL the same test is
    `auth.scoping.restrict_to_region`."""
    return bool(path and scope_path and path.startswith(scope_path))


def overlaps(path: str | None, scope_path: str | None) -> bool:
    """True when the node at path is at, above or below scope_path (a district's row its streets may read)."""
    return is_within(path, scope_path) or is_within(scope_path, path)


LEVEL_LABELS: dict[RegionLevel, str] = {
    RegionLevel.district: "district (区)",
    RegionLevel.street: "street/town (街道/镇)",
    RegionLevel.community: "community/village (社区/村)",
    RegionLevel.grid: "grid (网格)",
    RegionLevel.compound: "compound (小区)",
    RegionLevel.group: "group (小组)",
    RegionLevel.building: "building (楼栋)",
}

# Residential typing (seed 004) describes where people live, so it labels communities and below.
RESIDENTIAL_TYPE_LEVELS = (RegionLevel.community, *SUB_UNITS)

# Each level of a path adds 32 hex digits and a slash.
PATH_SEGMENT_LENGTH = 33


def level_error(parent_level: RegionLevel | None, child_level: RegionLevel) -> str | None:
    """Why child_level may not sit under parent_level, naming what may; None when it may."""
    if child_allowed(parent_level, child_level):
        return None
    if parent_level is None:
        return f"A {LEVEL_LABELS[child_level]} needs a parent; only a district may be created without one."
    allowed = ALLOWED_CHILDREN[parent_level]
    if not allowed:
        return f"Nothing may be placed under a {LEVEL_LABELS[parent_level]}."
    names = ", ".join(LEVEL_LABELS[level] for level in allowed)
    return (
        f"A {LEVEL_LABELS[child_level]} cannot be placed under a {LEVEL_LABELS[parent_level]}; allowed there: {names}."
    )


def residential_type_error(level: RegionLevel) -> str | None:
    """Why a node of this level may not carry a residential type; None when it may."""
    if level in RESIDENTIAL_TYPE_LEVELS:
        return None
    return f"A residential type labels a community or a smaller unit, not a {LEVEL_LABELS[level]}."


def max_path_length(root_path: str, depth: int) -> int:
    """Longest path of a node at most depth levels below the node at root_path."""
    return len(root_path) + depth * PATH_SEGMENT_LENGTH
