"""Fixtures of the OWASP API Top 10 (2023) tests: the programme world of the proposal and voting tests."""

import pytest

from tests.factories import make_tree
from tests.proposals.helpers import make_pworld


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def pw(client, session, app, tree):
    """An open programme, residents of community a1 and staff around them."""
    return await make_pworld(client, session, app, tree)
