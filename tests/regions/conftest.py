"""Fixtures for the regions tests: the standard tree, headers per role, and row/event counts."""

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.regions.models import Region
from tests.factories import make_tree, user_for


@pytest.fixture
async def tree(session):
    """The standard tree of tests.factories (福田区 with two streets, plus 罗湖区)."""
    return await make_tree(session)


@pytest.fixture
def headers(session, app, tree):
    """Auth headers for a fresh user of a role, bound to that role's standard region."""

    async def _headers(role: Role) -> dict[str, str]:
        return (await user_for(session, app, tree, role))[1]

    return _headers


async def region_count(session) -> int:
    """Rows in region, read in a fresh transaction (SQLite WAL keeps an open read's snapshot)."""
    await session.commit()  # ends the read snapshot without expiring the tree objects
    return await session.scalar(select(func.count()).select_from(Region))


async def audit_events(session, action: str) -> list[AuditEvent]:
    """Audit events of one action, oldest first, read in a fresh transaction."""
    await session.commit()  # ends the read snapshot without expiring the tree objects
    return list(
        (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.occurred_at, AuditEvent.ordinal)
            )
        ).all()
    )
