"""A real `weishi worker` process killed mid-delivery: nothing is sent twice, nothing WeChat accepted is lost."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.notifications.models import DeliveryStatus
from tests.notifications.conftest import APP_ID, APP_SECRET, TEMPLATES
from tests.notifications.helpers import deliveries, openid_of, tell, wechat_resident

ROOT = Path(__file__).resolve().parents[2]


def _worker(settings, wechat) -> subprocess.Popen:
    env = {
        **os.environ,
        "WEISHI_DATABASE_URL": settings.database_url,
        "WEISHI_SECRET_KEY": settings.secret_key,
        "WEISHI_ENVIRONMENT": "test",
        "WEISHI_WECHAT_APP_ID": APP_ID,
        "WEISHI_WECHAT_APP_SECRET": APP_SECRET,
        "WEISHI_WECHAT_API_BASE": wechat.base_url,
        "WEISHI_WECHAT_TEMPLATES": json.dumps(TEMPLATES),
        "WEISHI_NOTIFY_LEASE_SECONDS": "3",
        "WEISHI_NOTIFY_POLL_SECONDS": "0.2",
        "WEISHI_NOTIFY_QUIET_HOURS": "",
        "WEISHI_WECHAT_TIMEOUT_SECONDS": "60",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def _wait(condition, what: str, limit: float = 60) -> None:
    # Waiting for another process, not timing it: the limit only keeps a broken run from hanging.
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


async def _settled(session, count: int) -> bool:
    await session.commit()  # a fresh snapshot each time
    rows = await deliveries(session, "wechat")
    return len(rows) == count and all(r.status in (DeliveryStatus.sent, DeliveryStatus.unknown) for r in rows)


@pytest.mark.parametrize("accepted", [False, True], ids=["dropped_unprocessed", "accepted_then_silent"])
async def test_a_worker_killed_mid_send_sends_nothing_twice(session, app, tree, settings, wechat, accepted):
    """Killed with one message in WeChat's hands: whether WeChat dropped it or accepted it (the answer never came
    back), the worker cannot know, and WeChat takes no idempotency key; that delivery becomes unknown and is not
    sent again. The two the dead worker held but had not begun to send go out once."""
    users = [await wechat_resident(session, tree.community_a1) for _ in range(3)]
    if accepted:
        wechat.state.hold_after_accept = True  # WeChat sends the first message, then its answer hangs
    else:
        wechat.state.hold_sends = True  # the gateway stalls: the first send hangs, unprocessed
    await tell(session, users)
    first = _worker(settings, wechat)
    try:
        await _wait(lambda: wechat.state.held >= 1, "the worker to be inside a send")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert len(wechat.state.sent) == (1 if accepted else 0)
    rows = await deliveries(session, "wechat")
    # It claimed the batch under its lease and died inside the first send: all three are held, one marked as
    # handed to WeChat.
    assert [r.status for r in rows] == [DeliveryStatus.sending] * 3 and wechat.state.held == 1
    assert sorted(r.send_started_at is not None for r in rows) == [False, False, True]
    in_flight = next(r for r in rows if r.send_started_at is not None)
    assert all(r.status == DeliveryStatus.sent for r in await deliveries(session, "inbox"))

    wechat.state.hold_sends = wechat.state.hold_after_accept = False
    wechat.state.release.set()
    second = _worker(settings, wechat)
    try:
        end = time.monotonic() + 60
        while not await _settled(session, 3):
            rows = await deliveries(session, "wechat")
            if time.monotonic() > end:
                second.send_signal(signal.SIGTERM)
                raise AssertionError(
                    f"gave up waiting for the second worker: {wechat.state.requests} "
                    f"{[(r.status, r.attempts, r.lease_until, r.last_error) for r in rows]} "
                    f"{second.communicate(timeout=20)[1].decode()[-3000:]}"
                )
            assert second.poll() is None, second.stderr.read().decode()[-2000:]
            await asyncio.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    assert second.returncode == 0  # stopped cleanly on SIGTERM
    openids = {u.id: await openid_of(session, u) for u in users}
    rows = {r.id: r for r in await deliveries(session, "wechat")}
    unknown = rows[in_flight.id]
    assert unknown.status == DeliveryStatus.unknown and unknown.attempts == 1 and unknown.last_error
    # The grant WeChat perhaps spent stays with the delivery: neither handed back nor taken twice.
    assert unknown.grant_held
    others = [r for r in rows.values() if r.id != in_flight.id]
    assert [(r.status, r.attempts) for r in others] == [(DeliveryStatus.sent, 2)] * 2
    sent_to = sorted(m["touser"] for m in wechat.state.sent)
    expected = [openids[r.user_id] for r in others] + ([openids[unknown.user_id]] if accepted else [])
    assert sent_to == sorted(expected)  # nobody twice; accepted: everybody exactly once
    assert len(await deliveries(session, "inbox")) == 3  # the inbox copy was there all along
