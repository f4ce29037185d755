"""Who is calling: a user, an API token, or nobody."""

import uuid
from dataclasses import dataclass, field

from app.audit.service import Actor
from app.auth.models import Role
from app.auth.rules import within_scope

STAFF_ROLES = frozenset(
    {
        Role.community_staff,
        Role.street_admin,
        Role.district_admin,
        Role.finance,
        Role.evaluator,
        Role.supervisor,
        Role.admin,
    }
)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, with everything access decisions need."""

    kind: str  # "user" | "token" | "anonymous"
    role: Role | None = None
    user_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    region_id: uuid.UUID | None = None
    region_path: str | None = None
    organisation_id: uuid.UUID | None = None
    phone_digest: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    campaign_id: uuid.UUID | None = None
    label: str = ""

    @property
    def key(self) -> str:
        """A stable string naming this principal (idempotency keys, rate limits)."""
        if self.kind == "user":
            return f"user:{self.user_id}"
        if self.kind == "token":
            return f"token:{self.token_id}"
        return "anonymous"

    @property
    def actor(self) -> Actor:
        """This principal as the actor of an audit event."""
        if self.kind == "user":
            return Actor("user", str(self.user_id), f"{self.label} ({self.role})")
        if self.kind == "token":
            return Actor("api_token", str(self.token_id), self.label)
        return Actor("public", None, "public")

    def sees_region(self, path: str | None) -> bool:
        """Whether a node at path is inside this principal's region (admins see everything)."""
        return within_scope(self.role, self.region_path, path)


ANONYMOUS = Principal(kind="anonymous")
