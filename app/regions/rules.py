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


def is_within(path: str, scope_path: str) -> bool:
    """True when the node at path lies in the subtree rooted at scope_path (itself included)."""
    return path.startswith(scope_path)
