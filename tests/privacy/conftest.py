"""Fixtures of the personal-data tests: the voting world (an open programme, residents and staff)."""

import pytest

from tests.factories import make_tree
from tests.proposals.helpers import make_pworld


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def pw(client, session, app, tree):
    """An open programme with the default ballot rule (approval, 1-3 choices, greedy)."""
    return await make_pworld(client, session, app, tree)
