"""WeChat subscribe messages and SMS through the worker: grants, refusals, outages with backoff, quiet hours."""

from datetime import timedelta

from sqlalchemy import select

from app.core import clock
from app.notifications.models import DeliveryStatus, WechatSubscription
from app.sms.models import SmsMessage, SmsStatus
from tests.notifications.helpers import deliveries, openid_of, tell, wechat_resident
from tests.programmes.helpers import API, ok, problem


async def test_a_granted_message_is_sent_once_and_spends_the_grant(session, app, tree, wechat, work):
    user = await wechat_resident(session, tree.community_a1, grants=1)
    await tell(session, [user])
    await tell(session, [user], "第二件事")
    await work()
    await work()
    sent = wechat.state.sent
    assert len(sent) == 1 and sent[0]["touser"] == await openid_of(session, user)
    assert sent[0]["template_id"] == "TPL-PROPOSAL" and sent[0]["data"]["thing1"]["value"] == "提案进展"
    rows = await deliveries(session, "wechat")
    assert sorted((r.status, r.skip_reason or "") for r in rows) == [
        (DeliveryStatus.sent, ""),
        (DeliveryStatus.skipped, "no_subscription"),
    ]
    assert [r.provider_message_id for r in rows if r.status == DeliveryStatus.sent] == [str(sent[0]["msgid"])]
    grant = await session.scalar(select(WechatSubscription.remaining).where(WechatSubscription.user_id == user.id))
    assert grant == 0
    assert wechat.state.token_fetches == 1  # the cached stable token served every send


async def test_a_refusal_is_recorded_not_retried(session, app, tree, wechat, work):
    user = await wechat_resident(session, tree.community_a1)
    wechat.state.refused_openids.add(await openid_of(session, user))
    await tell(session, [user])
    await work()
    [row] = await deliveries(session, "wechat")
    assert (row.status, row.skip_reason) == (DeliveryStatus.skipped, "subscription_refused")
    assert wechat.state.sent == []


async def test_an_outage_is_retried_with_backoff_and_sends_once(session, app, tree, wechat, work):
    user = await wechat_resident(session, tree.community_a1)
    wechat.state.busy_sends = 2
    await tell(session, [user])
    await work()
    [row] = await deliveries(session, "wechat")
    assert row.status == DeliveryStatus.pending and row.attempts == 1 and "-1" in row.last_error
    first_wait = row.next_attempt_at - clock.now()
    await work()  # not due yet: nothing happens
    assert (await deliveries(session, "wechat"))[0].attempts == 1
    clock.advance(first_wait + timedelta(seconds=1))
    await work()
    [row] = await deliveries(session, "wechat")
    assert row.status == DeliveryStatus.pending and row.attempts == 2
    assert row.next_attempt_at - clock.now() > first_wait  # the wait doubled
    clock.advance(timedelta(hours=2))
    await work()
    [row] = await deliveries(session, "wechat")
    assert row.status == DeliveryStatus.sent and row.attempts == 3 and len(wechat.state.sent) == 1
    grant = await session.scalar(select(WechatSubscription.remaining).where(WechatSubscription.user_id == user.id))
    assert grant == 0  # given back after each failure, spent once by the success


async def test_a_stale_token_is_refreshed_once(session, app, tree, wechat, work):
    user = await wechat_resident(session, tree.community_a1)
    await tell(session, [user])
    await work()
    wechat.state.tokens.clear()  # WeChat invalidated the token (another server forced a refresh)
    wechat.state.current_token.clear()
    await session.execute(WechatSubscription.__table__.update().values(remaining=1))
    await session.commit()
    await tell(session, [user])
    await work()
    assert len(wechat.state.sent) == 2 and wechat.state.token_fetches == 2


async def test_sms_waits_out_quiet_hours_and_is_recorded(session, app, tree, wechat, work, client):
    from app.auth.models import Role
    from tests.factories import add_user, bearer

    settings = app.state.settings
    settings.notify_quiet_hours = "21:00-08:00"
    user = await add_user(session, Role.resident, tree.community_a1, username="sms-resident")
    from app.notifications import contacts_service

    await contacts_service.remember_phone(session, settings, user.id, "13900000001")
    await session.commit()
    h = await bearer(session, app, user)
    ok(
        await client.put(
            f"{API}/me/notification-preferences/proposal_moved", headers=h, json={"channels": ["sms", "inbox"]}
        )
    )
    clock.travel_to(clock.at_shanghai(clock.today(), 22, 30))
    await tell(session, [user])
    await work()
    [row] = await deliveries(session, "sms")
    assert row.status == DeliveryStatus.pending and row.attempts == 0
    assert row.next_attempt_at.astimezone(clock.SHANGHAI).hour == 8
    assert (await deliveries(session, "inbox"))[0].status == DeliveryStatus.sent  # the inbox does not wait
    clock.travel_to(clock.at_shanghai(clock.today() + timedelta(days=1), 8, 1))
    await work()
    [row] = await deliveries(session, "sms")
    assert row.status == DeliveryStatus.sent
    [record] = list(await session.scalars(select(SmsMessage)))
    assert record.status == SmsStatus.accepted and record.purpose == "proposal_moved"
    assert "13900000001" not in record.phone_digest and len(record.phone_digest) == 64


async def test_grants_are_counted_and_unknown_templates_refused(client, session, app, tree):
    from app.auth.models import Role
    from tests.factories import add_user, bearer

    h = await bearer(session, app, await add_user(session, Role.resident, tree.community_a1, username="granter"))
    url = f"{API}/me/wechat/subscriptions"
    ok(await client.post(url, headers=h, json={"accepted": ["TPL-ROUND", "TPL-PROPOSAL"]}))
    got = ok(await client.post(url, headers=h, json={"accepted": ["TPL-ROUND"]}))
    assert {g["template_id"]: g["remaining"] for g in got} == {"TPL-PROPOSAL": 1, "TPL-ROUND": 2}
    problem(await client.post(url, headers=h, json={"accepted": ["TPL-FORGED"]}), 422, "unknown_template")
    assert {g["template_id"]: g["remaining"] for g in ok(await client.get(url, headers=h))} == {
        "TPL-PROPOSAL": 1,
        "TPL-ROUND": 2,
    }
