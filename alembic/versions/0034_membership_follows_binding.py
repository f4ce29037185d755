"""organisations: every account's organisation comes with its open membership, and no open membership outlives
the binding (rows /users wrote before memberships followed it)

An account bound to an organisation with no open membership of it gets one (role member, joined now); an open
membership of an organisation the account is no longer bound to ends now. The binding wins, as it is what access
checks have been reading. Nothing is undone on downgrade: the rows are true either way.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    reconcile(op.get_bind())


def reconcile(bind) -> None:
    """Open the missing memberships and end the stray ones."""
    user_t = sa.table("app_user", sa.column("id", sa.Uuid()), sa.column("organisation_id", sa.Uuid()))
    member_t = sa.table("organisation_member", *(sa.column(c, sa.Uuid()) for c in ("id", "organisation_id",
                                                                                    "user_id")),
                        sa.column("role", sa.String()), sa.column("joined_at", sa.DateTime(timezone=True)),
                        sa.column("left_at", sa.DateTime(timezone=True)))
    now = datetime.now(UTC)
    open_ = member_t.c.left_at.is_(None)
    stray = (sa.select(member_t.c.id).join(user_t, user_t.c.id == member_t.c.user_id)
             .where(open_, (user_t.c.organisation_id.is_(None))
                    | (user_t.c.organisation_id != member_t.c.organisation_id)))
    ids = [row[0] for row in bind.execute(stray).all()]
    if ids:
        bind.execute(member_t.update().where(member_t.c.id.in_(ids)).values(left_at=now))
    has = sa.exists().where(member_t.c.user_id == user_t.c.id, member_t.c.organisation_id == user_t.c.organisation_id,
                            open_)
    missing = bind.execute(sa.select(user_t.c.id, user_t.c.organisation_id)
                           .where(user_t.c.organisation_id.is_not(None), ~has)).all()
    if missing:
        bind.execute(member_t.insert(), [{"id": uuid.uuid4(), "organisation_id": org, "user_id": user,
                                          "role": "member", "joined_at": now, "left_at": None}
                                         for user, org in missing])


def downgrade() -> None:
    pass
