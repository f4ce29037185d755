"""Pure rules: level placement, messages, and scope decisions."""

import uuid

import pytest

from app.auth.models import Role
from app.auth.principal import Principal
from app.core.errors import Forbidden, NotFound
from app.regions import policy
from app.regions.models import Region, RegionLevel
from app.regions.rules import child_path, level_error, max_path_length, residential_type_error


def test_level_error_names_allowed_levels():
    assert level_error(RegionLevel.district, RegionLevel.street) is None
    msg = level_error(RegionLevel.street, RegionLevel.building)
    assert "community/village (社区/村)" in msg and "building" in msg
    assert "Nothing may be placed" in level_error(RegionLevel.building, RegionLevel.building)
    assert "only a district" in level_error(None, RegionLevel.community)
    assert level_error(RegionLevel.compound, RegionLevel.building) is None
    assert level_error(RegionLevel.compound, RegionLevel.grid) is not None


def test_residential_type_only_where_people_live():
    assert residential_type_error(RegionLevel.community) is None
    assert residential_type_error(RegionLevel.compound) is None
    assert residential_type_error(RegionLevel.street) is not None


def test_max_path_length_counts_levels():
    root = child_path(None, uuid.uuid4())
    child = child_path(root, uuid.uuid4())
    grandchild = child_path(child, uuid.uuid4())
    assert len(child) == max_path_length(root, 1)
    assert len(grandchild) == max_path_length(root, 2)


def _node(path: str, level=RegionLevel.community) -> Region:
    return Region(id=uuid.uuid4(), name="x", level=level, path=path)


def _p(role: Role, path: str | None) -> Principal:
    return Principal(kind="user", role=role, user_id=uuid.uuid4(), region_path=path)


def test_policy_reads_and_writes():
    street, other = "/d/s/", "/d/t/"
    inside, outside = _node("/d/s/c/"), _node("/d/t/c/")
    admin, staff = _p(Role.admin, None), _p(Role.street_admin, street)
    policy.check_read(admin, outside)
    policy.check_read(staff, inside)
    with pytest.raises(NotFound):
        policy.check_read(staff, outside)
    policy.check_create(staff, _node(street, RegionLevel.street))
    with pytest.raises(Forbidden):
        policy.check_create(staff, _node(other, RegionLevel.street))
    with pytest.raises(Forbidden):
        policy.check_create(staff, None)
    policy.check_edit(staff, inside)
    with pytest.raises(Forbidden):
        policy.check_edit(staff, _node(street, RegionLevel.street))  # one's own node belongs to the level above
    with pytest.raises(Forbidden):
        policy.read_scope(_p(Role.finance, None))  # staff bound to no region see nothing
