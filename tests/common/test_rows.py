"""The one load-or-404 helper and the one region-scope check."""

import uuid

import pytest

from app.common.rows import get_or_404
from app.core.errors import NotFound
from app.regions.models import Region, RegionLevel
from app.regions.rules import is_within, overlaps
from tests.factories import make_tree


async def test_get_or_404_answers_the_domains_404(session):
    tree = await make_tree(session)
    await session.commit()
    found = await get_or_404(session, Region, tree.community_a1.id, code="community_not_found", detail="x")
    assert found is tree.community_a1  # the session's copy: no second read
    with pytest.raises(NotFound) as missing:
        await get_or_404(session, Region, uuid.uuid4(), code="community_not_found", detail="No community.")
    assert (missing.value.code, missing.value.detail) == ("community_not_found", "No community.")
    with pytest.raises(NotFound) as refused:  # a row the caller may not see is the same 404
        await get_or_404(
            session,
            Region,
            tree.street_a.id,
            code="community_not_found",
            detail="No community.",
            accept=lambda r: r.level == RegionLevel.community,
        )
    assert refused.value.code == "community_not_found"


async def test_fresh_and_locked_reads_overwrite_the_sessions_copy(session):
    tree = await make_tree(session)
    await session.commit()
    tree.street_a.name = "not saved"
    with session.no_autoflush:
        assert (await get_or_404(session, Region, tree.street_a.id, code="c", detail="d")).name == "not saved"
        for options in ({"fresh": True}, {"lock": "update"}):
            tree.street_a.name = "not saved"
            assert (
                await get_or_404(session, Region, tree.street_a.id, code="c", detail="d", **options)
            ).name == "莲花街道"


def test_is_within_and_overlaps():
    street, community = "/a/b/", "/a/b/c/"
    assert is_within(community, street) and is_within(street, street) and not is_within(street, community)
    assert not is_within(None, street) and not is_within(community, None) and not is_within(community, "")
    assert overlaps(street, community) and overlaps(community, street) and not overlaps("/a/x/", street)
