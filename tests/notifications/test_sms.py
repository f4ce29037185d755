"""SMS through the official Alibaba Cloud and Tencent Cloud SDKs, against stand-ins that check their signatures:
one-time codes reach the phone, refusals and throttling are retried or recorded, daily caps stop runaway sends."""

import json

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from app.core.config import Settings
from app.notifications import contacts_service
from app.notifications.models import DeliveryStatus
from app.sms import service as sms
from app.sms.models import SmsMessage, SmsStatus
from app.sms.senders import SmsError, make_sms_sender
from tests.notifications.helpers import deliveries, tell
from tests.programmes.helpers import API, ok
from tests.providers.sms_servers import SmsServer, SmsState

KEY_ID, KEY_SECRET = "LTAI5tStandInKeyId", "stand-in-key-secret-0123456789"
PHONE = "13900001234"


@pytest.fixture(params=["aliyun", "tencent"])
def provider(request):
    """A stand-in for each provider."""
    state = SmsState(KEY_ID, KEY_SECRET)
    with SmsServer(request.param, state) as server:
        server.name = request.param
        yield server


@pytest.fixture
def settings(settings, provider):
    """The notification settings with SMS sent through the provider's SDK to its stand-in."""
    return settings.model_copy(
        update={
            "otp_sender": provider.name,
            "sms_insecure_http": True,
            "sms_sign_name": "微实社区",
            "sms_templates": {"otp": "SMS_100001", "proposal_moved": "SMS_100002"},
            "aliyun_access_key_id": KEY_ID,
            "aliyun_access_key_secret": KEY_SECRET,
            "aliyun_sms_endpoint": provider.endpoint,
            "tencent_secret_id": KEY_ID,
            "tencent_secret_key": KEY_SECRET,
            "tencent_sms_endpoint": provider.endpoint,
            "tencent_sms_app_id": "1400000001",
            "sms_daily_cap_per_phone": 3,
            "sms_receipt_token": "receipt-secret",
        }
    )


def _params(accepted: dict, provider: str) -> list[str]:
    if provider == "aliyun":
        return list(json.loads(accepted["TemplateParam"]).values())
    return accepted["TemplateParamSet"]


async def test_a_login_code_reaches_the_phone_and_logs_in(client, session, app, provider, backend):
    ok(await client.post(f"{API}/auth/otp/request", json={"phone": PHONE}), 202)
    [sent] = provider.state.accepted
    code = _params(sent, provider.name)[0]
    assert len(code) == 6 and provider.state.refused_signatures == 0
    if provider.name == "aliyun":
        assert (sent["PhoneNumbers"], sent["SignName"], sent["TemplateCode"]) == (PHONE, "微实社区", "SMS_100001")
    else:
        assert (sent["PhoneNumberSet"], sent["TemplateId"], sent["SmsSdkAppId"]) == (
            [f"+86{PHONE}"],
            "SMS_100001",
            "1400000001",
        )
    ok(await client.post(f"{API}/auth/otp/verify", json={"phone": PHONE, "code": code}))
    [record] = list(await session.scalars(select(SmsMessage)))
    assert (record.provider, record.purpose, record.status) == (provider.name, "otp", SmsStatus.accepted)
    assert record.provider_message_id == sent.get("BizId", sent.get("SerialNo"))
    assert record.phone_digest == sms.phone_key(app.state.settings, PHONE) and PHONE not in record.phone_digest


async def test_throttling_is_retried_and_a_refusal_is_recorded(app, session, provider):
    settings = app.state.settings
    sender = make_sms_sender(settings)
    throttled = "isv.BUSINESS_LIMIT_CONTROL" if provider.name == "aliyun" else "RequestLimitExceeded"
    provider.state.queued = [throttled]
    sent = await sms.send(app.state.sessionmaker, settings, sender, "otp", PHONE, {"code": "123456"})
    assert len(provider.state.accepted) == 1 and sent.message_id
    refused = "isv.MOBILE_NUMBER_ILLEGAL" if provider.name == "aliyun" else "FailedOperation.PhoneNumberInBlacklist"
    provider.state.queued = [refused]
    with pytest.raises(SmsError) as caught:
        await sms.send(app.state.sessionmaker, settings, sender, "otp", PHONE, {"code": "654321"})
    assert caught.value.code == refused and not caught.value.retryable
    statuses = [r.status for r in await session.scalars(select(SmsMessage).order_by(SmsMessage.created_at))]
    assert statuses == [SmsStatus.accepted, SmsStatus.failed]  # the throttled try was retried, not recorded twice


async def test_the_daily_cap_per_phone_stops_sending(app, session, provider):
    settings = app.state.settings
    sender = make_sms_sender(settings)
    for _ in range(3):
        await sms.send(app.state.sessionmaker, settings, sender, "otp", PHONE, {"code": "111111"})
    with pytest.raises(sms.SmsCapped):
        await sms.send(app.state.sessionmaker, settings, sender, "otp", PHONE, {"code": "111111"})
    assert len(provider.state.accepted) == 3
    capped = await session.scalar(select(SmsMessage).where(SmsMessage.status == SmsStatus.capped))
    assert capped.error_code == "cap_phone"
    await sms.send(app.state.sessionmaker, settings, sender, "otp", "13900005678", {"code": "111111"})


async def test_an_outage_keeps_the_notification_and_sends_it_once_later(app, session, tree, provider, work):
    from datetime import timedelta

    from app.auth.models import Role
    from app.core import clock
    from app.notifications.models import NotificationPreference
    from tests.factories import add_user

    user = await add_user(session, Role.resident, tree.community_a1, username="sms-user")
    await contacts_service.remember_phone(session, app.state.settings, user.id, PHONE)
    session.add(NotificationPreference(user_id=user.id, kind="proposal_moved", channels=["sms"]))
    await session.commit()
    provider.state.queued = ["ServiceUnavailable" if provider.name == "aliyun" else "InternalError.Timeout"] * 3
    await tell(session, [user])
    await work()
    [row] = await deliveries(session, "sms")
    assert (row.status, row.attempts, provider.state.queued, provider.state.accepted) == ("pending", 1, [], [])
    clock.advance(timedelta(hours=1))
    await work()
    [row] = await deliveries(session, "sms")
    assert row.status == DeliveryStatus.sent and len(provider.state.accepted) == 1
    assert _params(provider.state.accepted[0], provider.name)[0] == "提案进展"


def test_production_refuses_the_log_sender():
    with pytest.raises(ValidationError, match="WEISHI_OTP_SENDER"):
        Settings(_env_file=None, environment="production", secret_key="x" * 40, otp_sender="log")
    assert Settings(_env_file=None, environment="production", secret_key="x" * 40, otp_sender="aliyun")


async def test_a_wrong_key_is_refused_by_the_provider(app, provider):
    provider.state.key_secret = "not-the-secret-we-have"
    sender = make_sms_sender(app.state.settings)
    with pytest.raises(SmsError) as caught:
        await sender.send(PHONE, "SMS_100001", {"code": "123456"})
    assert provider.state.refused_signatures == 1 and not caught.value.retryable


def _receipt(provider: str, message_id: str, delivered: bool) -> list[dict]:
    """A receipt as the provider pushes it."""
    if provider == "aliyun":
        return [
            {
                "phone_number": PHONE,
                "send_time": "2026-12-07 10:00:00",
                "report_time": "2026-12-07 10:00:05",
                "success": delivered,
                "err_code": "DELIVERED" if delivered else "MK:0012",
                "err_msg": "用户接收成功",
                "sms_size": "1",
                "biz_id": message_id,
                "out_id": "",
            }
        ]
    return [
        {
            "user_receive_time": "2026-12-07 10:00:05",
            "nationcode": "86",
            "mobile": PHONE,
            "report_status": "SUCCESS" if delivered else "FAIL",
            "errmsg": "DELIVRD" if delivered else "MK:0012",
            "description": "用户短信送达成功",
            "sid": message_id,
        }
    ]


async def test_delivery_receipts_update_the_record(client, app, session, provider):
    settings = app.state.settings
    sender = make_sms_sender(settings)
    first = await sms.send(app.state.sessionmaker, settings, sender, "otp", PHONE, {"code": "123456"})
    second = await sms.send(app.state.sessionmaker, settings, sender, "otp", PHONE, {"code": "654321"})
    url = f"{API}/sms/receipts/{provider.name}"
    r = await client.post(url, params={"token": "guessed"}, json=_receipt(provider.name, first.message_id, True))
    assert r.status_code == 404
    answer = ok(
        await client.post(url, params={"token": "receipt-secret"}, json=_receipt(provider.name, first.message_id, True))
    )
    assert answer in ({"code": 0, "msg": "成功"}, {"result": 0, "errmsg": "OK"})
    ok(
        await client.post(
            url, params={"token": "receipt-secret"}, json=_receipt(provider.name, second.message_id, False)
        )
    )
    rows = {r.provider_message_id: r for r in await session.scalars(select(SmsMessage))}
    assert rows[first.message_id].status == SmsStatus.delivered and rows[first.message_id].reported_at
    assert rows[second.message_id].status == SmsStatus.undelivered and rows[second.message_id].error_code == "MK:0012"
