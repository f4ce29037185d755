"""The notification worker (`weishi worker`): expands due outbox events and delivers WeChat and SMS copies.

Several may run. A delivery is claimed by a guarded UPDATE that sets a lease (status sending, lease_until, owner)
and committed before anything is sent; the outcome is written only by the lease's owner. A worker killed mid-send
leaves its lease to run out, and the delivery is then claimed again: nothing is lost. Its attempt counts, so a
message that kills workers cannot loop for ever. Just before the provider is called the delivery records that its
send began (committed); a lease that runs out with that mark set means the provider may have accepted the
message, and neither WeChat nor the SMS gateways take an idempotency key, so the delivery becomes `unknown` and is
never sent again (docs/notifications.md)."""

import asyncio
import contextlib
import logging
import os
import signal
import socket
import uuid
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.common.models import utcnow
from app.core import clock
from app.notifications import fanout, hooks, rules
from app.notifications.delivery import Outcome, Providers, deliver
from app.notifications.models import Channel, DeliveryStatus, Notification

log = logging.getLogger("weishi.notify")
SWEEP_SECONDS = 600  # how often a worker looks for overdue milestones


def worker_id() -> str:
    """This worker's name on its leases."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _due():
    now = utcnow()
    return or_(
        (Notification.status == DeliveryStatus.pending) & (Notification.next_attempt_at <= now),
        (Notification.status == DeliveryStatus.sending)
        & (Notification.lease_until < now)
        & col(Notification.send_started_at).is_(None),
    )


async def give_up_unknown(session: AsyncSession) -> int:
    """Deliveries whose worker died with the message in the provider's hands become unknown, never resent. The
    lease's owner stays: should that worker still be alive (only slow), its answer settles the delivery yet."""
    marked = await session.execute(
        update(Notification)
        .where(
            col(Notification.status) == DeliveryStatus.sending,
            col(Notification.lease_until) < utcnow(),
            col(Notification.send_started_at).is_not(None),
        )
        .values(status=DeliveryStatus.unknown, lease_until=None, last_error=rules.OUTCOME_UNKNOWN)
    )
    return marked.rowcount or 0


async def claim(session: AsyncSession, p: Providers, owner: str, limit: int) -> list[Notification]:
    """Take up to `limit` due deliveries under a lease (committed); SMS in quiet hours is put off instead."""
    await give_up_unknown(session)
    ids = list(
        await session.scalars(select(Notification.id).where(_due()).order_by(Notification.next_attempt_at).limit(limit))
    )
    held = []
    quiet = rules.quiet_until(utcnow(), rules.parse_quiet_hours(p.settings.notify_quiet_hours))
    for nid in ids:
        if quiet is not None:
            put_off = await session.execute(
                update(Notification)
                .where(Notification.id == nid, Notification.channel == Channel.sms, _due())
                .values(status=DeliveryStatus.pending, next_attempt_at=quiet, lease_until=None, lease_owner=None)
            )
            if put_off.rowcount:
                continue
        lease = utcnow() + timedelta(seconds=p.settings.notify_lease_seconds)
        taken = await session.execute(
            update(Notification)
            .where(Notification.id == nid, _due())
            .values(
                status=DeliveryStatus.sending, lease_until=lease, lease_owner=owner, attempts=Notification.attempts + 1
            )
        )
        if taken.rowcount == 1:
            held.append(nid)
    await session.commit()
    return list(await session.scalars(select(Notification).where(Notification.id.in_(held)))) if held else []


async def settle(session: AsyncSession, p: Providers, owner: str, n: Notification, outcome: Outcome) -> bool:
    """Write the outcome, if this worker still holds the lease (committed); False if it lost it."""
    s, now = p.settings, utcnow()
    values: dict = {"lease_until": None, "lease_owner": None, "send_started_at": None}
    if outcome.result == "sent":
        values |= {
            "status": DeliveryStatus.sent,
            "sent_at": now,
            "provider_message_id": outcome.detail,
            "last_error": None,
            "grant_held": False,
        }
    elif outcome.result == "skipped":
        values |= {"status": DeliveryStatus.skipped, "skip_reason": outcome.detail, "grant_held": False}
    elif outcome.result == "retry" and n.attempts < s.notify_max_attempts:
        wait = rules.backoff(n.attempts, s.notify_backoff_base_seconds, s.notify_backoff_max_seconds)
        values |= {"status": DeliveryStatus.pending, "next_attempt_at": now + wait, "last_error": outcome.detail}
    else:
        values |= {"status": DeliveryStatus.failed, "last_error": outcome.detail, "grant_held": False}
    done = await session.execute(
        update(Notification)
        .where(
            Notification.id == n.id,
            Notification.lease_owner == owner,
            col(Notification.status).in_([DeliveryStatus.sending, DeliveryStatus.unknown]),
        )
        .values(**values)
    )
    await session.commit()
    return done.rowcount == 1


async def run_once(p: Providers, owner: str, limit: int = 20, *, sweep: bool = True) -> int:
    """One pass: run the sweeps (overdue milestones, instalments due), expand due events, deliver what is
    due; returns the work done."""
    async with p.sessionmaker() as session:
        if sweep:
            for sweep_once in hooks.sweeps():
                await sweep_once(session)
            await session.commit()
        work = await fanout.expand_due(session, p.settings, limit)
        for n in await claim(session, p, owner, limit):
            outcome = await deliver(p, session, n)
            await settle(session, p, owner, n, outcome)
            work += 1
    return work


async def run(p: Providers, *, once: bool = False, stop: asyncio.Event | None = None) -> None:
    """Work until `stop` is set (by default: until SIGTERM or SIGINT); sleep between empty passes."""
    owner = worker_id()
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    log.info("notification worker %s started", owner)
    last_sweep = 0.0
    while not stop.is_set():
        try:
            sweep = clock.timestamp() - last_sweep > SWEEP_SECONDS
            work = await run_once(p, owner, sweep=sweep)
            last_sweep = clock.timestamp() if sweep else last_sweep
        except Exception:
            log.exception("notification worker pass failed; trying again")
            work = 0
        if once:
            return
        if not work:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), p.settings.notify_poll_seconds)
