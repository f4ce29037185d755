"""Fixtures of the funds tests: an open, funded programme with two pilots."""

import pytest

from tests.factories import make_tree
from tests.programmes.helpers import make_world


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def world(client, session, app, tree):
    """An open programme; pilots a1 and b1 each received their 3万 subsidy."""
    return await make_world(client, session, app, tree)
