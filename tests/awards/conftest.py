"""Fixtures of the evaluation tests: an open programme (pilots a1, b1) with residents and staff around it."""

import pytest

from tests.factories import make_tree
from tests.proposals.helpers import make_pworld


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def pw(client, session, app, tree):
    """An open programme of 2025 with the default rules."""
    return await make_pworld(client, session, app, tree)
