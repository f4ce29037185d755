"""Fixtures of the deliberation tests: an open programme, residents, staff, and proposals to deliberate."""

import pytest

from tests.factories import make_tree
from tests.proposals.helpers import make_pworld


@pytest.fixture
async def tree(session):
    """The standard region tree."""
    return await make_tree(session)


@pytest.fixture
async def pw(client, session, app, tree):
    """An open programme with the default meeting rule (majority of ALL representatives)."""
    return await make_pworld(client, session, app, tree)


@pytest.fixture
async def pw_present(client, session, app, tree):
    """An open programme whose majority counts those present (组织法 Art. 26)."""
    return await make_pworld(client, session, app, tree, rules={"meeting": {"majority_base": "present"}})
