"""Imports every table module so SQLModel.metadata is complete (Alembic, tests)."""

from app.audit import models as audit_models  # noqa: F401
from app.auth import models as auth_models  # noqa: F401
from app.awards import models as award_models  # noqa: F401
from app.common import models as common_models  # noqa: F401
from app.deliberation import council_models as deliberation_council_models  # noqa: F401
from app.deliberation import models as deliberation_models  # noqa: F401
from app.evaluation import models as evaluation_models  # noqa: F401
from app.funds import models as funds_models  # noqa: F401
from app.idempotency import models as idempotency_models  # noqa: F401
from app.implementation import models as implementation_models  # noqa: F401
from app.implementation import payment_models, review_models  # noqa: F401
from app.notices import models as notice_models  # noqa: F401
from app.notifications import models as notification_models  # noqa: F401
from app.organisations import models as organisation_models  # noqa: F401
from app.programmes import models as programme_models  # noqa: F401
from app.proposals import models as proposal_models  # noqa: F401
from app.ratelimit import models as ratelimit_models  # noqa: F401
from app.regions import models as region_models  # noqa: F401
from app.review import models as expert_review_models  # noqa: F401
from app.sms import models as sms_models  # noqa: F401
from app.voting import models as voting_models  # noqa: F401
from app.wechat import models as wechat_models  # noqa: F401
