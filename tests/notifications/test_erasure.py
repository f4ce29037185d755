"""A resident who deletes their account stops being reachable: the sealed phone, WeChat identity and grants,
channel choices and every notification go with it; GET /me/data showed them all before."""

from sqlalchemy import func, select

from app.notifications.models import Notification, NotificationContact, NotificationPreference, WechatSubscription
from app.wechat.models import WechatIdentity
from tests.factories import bearer
from tests.notifications.helpers import tell, wechat_resident
from tests.programmes.helpers import API, ok

PHONE = "13900000088"


async def _count(session, table, user_id) -> int:
    return await session.scalar(select(func.count()).select_from(table).where(table.user_id == user_id))


async def test_deletion_forgets_every_way_to_reach_the_resident(client, session, app, pw, work):
    me = await wechat_resident(session, pw.tree.community_a1, grants=2, phone=PHONE, settings=app.state.settings)
    h = await bearer(session, app, me)
    ok(await client.put(f"{API}/me/notification-preferences/round_opened", headers=h, json={"channels": ["inbox"]}))
    await tell(session, [me], "楼道照明")
    await work()

    mine = ok(await client.get(f"{API}/me/data", headers=h))
    assert mine["sms_phone_kept"] is True
    assert [w["openid"] for w in mine["wechat_identities"]] == [
        await session.scalar(select(WechatIdentity.openid).where(WechatIdentity.user_id == me.id))
    ]
    assert {m["channel"] for m in mine["messages"]} >= {"inbox", "wechat"}
    assert any("楼道照明" in m["body"] for m in mine["messages"])
    assert mine["notification_preferences"] == {"round_opened": ["inbox"]}
    assert mine["wechat_subscriptions"][0]["template_id"] == "TPL-PROPOSAL"
    assert PHONE not in str(mine)  # the number itself is only ever kept sealed

    done = ok(await client.post(f"{API}/me/deletion", headers=h, json={"confirm": True}))
    assert done["notifications_deleted"] >= 2
    for table in (NotificationContact, WechatIdentity, WechatSubscription, NotificationPreference, Notification):
        assert await _count(session, table, me.id) == 0, table.__tablename__
    # A later event for the erased account reaches nobody: no copy on any channel.
    await tell(session, [me], "垃圾分类")
    await work()
    assert await _count(session, Notification, me.id) == 0
