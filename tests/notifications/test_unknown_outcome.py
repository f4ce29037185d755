"""A delivery whose worker stopped answering after handing it to the provider: unknown, never sent again; the
worker's own late answer still settles it; one that never reached the provider is sent as before."""

from datetime import timedelta

from sqlalchemy import update

from app.common.models import utcnow
from app.notifications import fanout
from app.notifications.delivery import Outcome, _sending
from app.notifications.models import DeliveryStatus, Notification
from app.notifications.worker import claim, run_once, settle
from tests.notifications.helpers import deliveries, tell, wechat_resident


async def _held_by_a(session, providers, tree, users: int) -> list[Notification]:
    people = [await wechat_resident(session, tree.community_a1) for _ in range(users)]
    await tell(session, people)
    await fanout.expand_due(session, providers.settings, 20)
    await session.commit()
    held = [n for n in await claim(session, providers, "worker-a", 20) if n.channel == "wechat"]
    assert len(held) == users
    return held


async def _lease_runs_out(session) -> None:
    await session.execute(update(Notification).values(lease_until=utcnow() - timedelta(seconds=1)))
    await session.commit()


async def test_in_the_providers_hands_it_becomes_unknown_and_the_slow_worker_settles_it(
    session, app, tree, wechat, providers
):
    [n, untouched] = await _held_by_a(session, providers, tree, 2)
    await _sending(session, n)  # worker a hands n to WeChat, then goes silent
    await _lease_runs_out(session)

    await run_once(providers, "worker-b", sweep=False)
    rows = {r.id: r for r in await deliveries(session, "wechat")}
    assert rows[n.id].status == DeliveryStatus.unknown and rows[n.id].lease_owner == "worker-a"
    # Worker b sent only the one worker a had not begun to send.
    assert rows[untouched.id].status == DeliveryStatus.sent
    assert len(wechat.state.sent) == 1
    # Later passes leave it alone.
    await run_once(providers, "worker-b", sweep=False)
    assert len(wechat.state.sent) == 1

    # Worker a was only slow: its answer reconciles the delivery; worker b's could not.
    assert not await settle(session, providers, "worker-b", n, Outcome("sent", "77"))
    assert await settle(session, providers, "worker-a", n, Outcome("sent", "77"))
    [row] = [r for r in await deliveries(session, "wechat") if r.id == n.id]
    assert (row.status, row.provider_message_id, row.send_started_at) == (DeliveryStatus.sent, "77", None)


async def test_a_refused_send_clears_the_mark_and_is_retried(session, app, tree, wechat, providers):
    [n] = await _held_by_a(session, providers, tree, 1)
    await _sending(session, n)
    # WeChat answered (busy): nothing was accepted, so the delivery may be sent again.
    assert await settle(session, providers, "worker-a", n, Outcome("retry", "-1 system error"))
    [row] = await deliveries(session, "wechat")
    assert (row.status, row.send_started_at) == (DeliveryStatus.pending, None)
