"""Fixtures of the expert review tests."""

import pytest

from tests.factories import make_tree


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)
