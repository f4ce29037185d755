"""`weishi purge-expired`'s retention periods: codes, counters, objectors' contacts and notices go when due."""

from datetime import timedelta

from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.auth.models import OtpCode, UserNotice
from app.core import clock
from app.notices.models import Objection, ObjectionStatus
from app.privacy.retention_service import purge_personal_data
from app.ratelimit.models import RateLimitCounter
from tests.notices.helpers import item_numbered, object_to, published
from tests.programmes.helpers import ok


async def test_each_period_removes_what_is_due_and_keeps_the_rest(client, session, app, pw):
    settings = app.state.settings.model_copy(
        update={
            "retention_otp_code_days": 1,
            "retention_rate_limit_days": 1,
            "retention_objection_contact_days": 30,
            "retention_notification_days": 365,
        }
    )
    now = clock.now()
    notice, _, _ = await published(client, session, app, pw)
    item = item_numbered(notice, 1)["id"]
    codes = [
        ok(await object_to(client, notice["id"], item, contact=f"联系人{i}"), 201)["tracking_code"] for i in range(3)
    ]
    # Decided 31 days ago (due), decided 29 days ago (kept), open (kept: staff may still call back).
    for code, days in zip(codes[:2], (31, 29), strict=True):
        await session.execute(
            update(Objection)
            .where(Objection.tracking_code == code)
            .values(status=ObjectionStatus.dismissed, handled_at=now - timedelta(days=days), reply="经核查，不予采纳。")
        )
    user = pw.users["resident"]
    session.add_all(
        [
            OtpCode(phone_digest="a" * 64, code_hash="x" * 64, expires_at=now - timedelta(days=2)),
            OtpCode(phone_digest="b" * 64, code_hash="y" * 64, expires_at=now - timedelta(hours=1)),
            OtpCode(phone_digest="c" * 64, code_hash="z" * 64, expires_at=now + timedelta(minutes=5)),
            RateLimitCounter(key="otp_ip:old", window_start=now - timedelta(days=3), count=3),
            RateLimitCounter(key="otp_ip:new", window_start=now - timedelta(hours=2), count=3),
            *(
                UserNotice(
                    user_id=user.id,
                    message=message,
                    changes={},
                    changed_by="管理员",
                    created_at=now - timedelta(days=days),
                )
                for message, days in (("旧通知", 366), ("新通知", 364))
            ),
        ]
    )
    await session.commit()

    counts = await purge_personal_data(session, settings)
    await session.commit()
    assert counts == {"otp_codes": 1, "rate_limit_counters": 1, "objection_contacts": 1, "notifications": 1}
    contacts = dict((await session.execute(select(Objection.tracking_code, Objection.contact))).all())
    assert [contacts[c] for c in codes] == [None, "联系人1", "联系人2"]
    assert sorted((await session.scalars(select(OtpCode.phone_digest))).all()) == ["b" * 64, "c" * 64]
    assert "otp_ip:new" in (kept := (await session.scalars(select(RateLimitCounter.key))).all())
    assert "otp_ip:old" not in kept
    assert (await session.scalars(select(UserNotice.message))).all() == ["新通知"]
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.purge"))
    assert event.after == counts
    # Run again: nothing more is due, and nothing is recorded for nothing.
    assert set((await purge_personal_data(session, settings)).values()) == {0}
