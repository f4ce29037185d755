"""Where the feature domains register what the foundation asks of them (dependency inversion: `auth` and
`notifications` sit below the features and import none of them; see tests/architecture/test_layers.py).

`wire()` runs once per process, before anything is served or worked: `create_app`, the `weishi` commands
that use these hooks, the benchmarks and the tests' conftest. Calling it again changes nothing."""

from app.auth import hooks as auth_hooks
from app.evaluation.campaign_service import campaign_region
from app.implementation import reminders_service as implementation_reminders
from app.notifications import hooks as notification_hooks
from app.notifications.models import NotificationKind
from app.organisations import members_service as organisation_members
from app.voting import reminders_service as voting_reminders


def wire() -> None:
    """Register every feature's answer with the foundation."""
    # An evaluator organisation's API token is scoped to a campaign's region.
    auth_hooks.provide_campaign_region(campaign_region)
    # Binding a staff account to an organisation opens its membership; unbinding ends it.
    auth_hooks.provide_membership_move(organisation_members.move)
    # A round's reminders and a notice reach the community's roll; a round's reminders wait for the round.
    for kind in (NotificationKind.round_opened, NotificationKind.round_closing, NotificationKind.notice_published):
        notification_hooks.provide_audience(kind, voting_reminders.community_roll)
    for kind in (NotificationKind.round_opened, NotificationKind.round_closing):
        notification_hooks.provide_check(kind, voting_reminders.round_check)
    # What the worker looks for on its own, in this order.
    notification_hooks.provide_sweep("milestones_overdue", implementation_reminders.overdue_milestones)
    notification_hooks.provide_sweep("instalments_due", implementation_reminders.instalments_due)
