"""Fixtures of the organisation tests: the proposal world (open programme, residents, staff)."""

import pytest

from tests.factories import make_tree
from tests.proposals.helpers import make_pworld


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def pw(client, session, app, tree):
    """An open programme, residents of community a1, and the usual staff cast."""
    return await make_pworld(client, session, app, tree)
