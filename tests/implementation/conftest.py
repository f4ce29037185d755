"""Fixtures of the implementation tests: an open programme (pilots a1, b1), residents and staff."""

import pytest

from tests.factories import make_tree
from tests.proposals.helpers import make_pworld


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def pw(client, session, app, tree):
    """An open programme with the default notice rule (5 working days)."""
    return await make_pworld(client, session, app, tree)
