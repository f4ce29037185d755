"""The features answer every hook the foundation declares, and an unanswered hook fails loudly."""

import pytest

from app.auth import hooks as auth_hooks
from app.notifications import hooks as notification_hooks
from app.notifications.fanout import ROLL_KINDS, ROUND_KINDS
from app.wiring import wire


def test_wire_answers_every_hook() -> None:
    wire()
    wire()  # again: nothing doubles
    assert auth_hooks._campaign_region is not None
    assert all(notification_hooks.audience(kind) for kind in ROLL_KINDS)
    assert all(notification_hooks.check(kind) for kind in ROUND_KINDS)
    assert [s.__name__ for s in notification_hooks.sweeps()] == ["overdue_milestones", "instalments_due"]


async def test_an_unwired_hook_refuses(monkeypatch) -> None:
    monkeypatch.setattr(auth_hooks, "_campaign_region", None)
    monkeypatch.setattr(notification_hooks, "_audiences", {})
    monkeypatch.setattr(notification_hooks, "_sweeps", {})
    with pytest.raises(RuntimeError, match="wire"):
        await auth_hooks.campaign_region(None, None)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="wire"):
        notification_hooks.audience(ROLL_KINDS[0])
    with pytest.raises(RuntimeError, match="wire"):
        notification_hooks.sweeps()
