"""Imports every table module so SQLModel.metadata is complete (Alembic, tests)."""

from app.audit import models as audit_models  # noqa: F401
from app.auth import models as auth_models  # noqa: F401
from app.common import models as common_models  # noqa: F401
from app.regions import models as region_models  # noqa: F401
