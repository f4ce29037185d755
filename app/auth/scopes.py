"""What an API token may do; checked with app.auth.deps.require_scope."""

from enum import StrEnum


class Scope(StrEnum):
    """API-token scopes, as 'resource:action'."""

    assessments_read = "assessments:read"
    assessments_write = "assessments:write"
    reports_read = "reports:read"
