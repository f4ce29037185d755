"""WeChat mini-program sign-in against the stand-in: codes, the phone button, the roll, and every refusal."""

import logging
import uuid

from app.auth.models import Role
from app.notifications import contacts_service
from app.wechat.models import WechatIdentity
from tests.factories import add_user
from tests.notifications.conftest import APP_ID
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count
from tests.voting.helpers import Voter, cast, create_round, import_roll, roll_csv, shortlist

URL = f"{API}/auth/wechat/mini-program"
OTHER_APP = "wxother000000000"


def login(client, code: str, phone_code: str | None = None):
    return client.post(URL, json={"code": code, **({"phone_code": phone_code} if phone_code else {})})


async def test_a_resident_on_the_roll_signs_in_with_wechat_and_votes(client, session, app, pw, wechat, caplog):
    caplog.set_level(logging.DEBUG)
    s = wechat.state
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [500_000, 400_000])
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv([("13800000011", "王五", "", "")])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)

    first = await login(client, s.login_code(APP_ID, "openid-wang", "union-wang"), s.phone_code(APP_ID, "13800000011"))
    tokens = ok(first)
    assert "session_key" not in first.text
    me = ok(await client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}))
    assert me["role"] == "resident" and me["phone_masked"] == "138****0011"
    voter = Voter("13800000011", "王五", {"Authorization": f"Bearer {tokens['access_token']}"})
    ok(await cast(client, voter, rnd["id"], [1]), 201)

    again = ok(await login(client, s.login_code(APP_ID, "openid-wang")))  # later: wx.login alone
    me_again = ok(await client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {again['access_token']}"}))
    assert me_again["user_id"] == me["user_id"]
    assert await count(session, WechatIdentity) == 1
    assert (
        await contacts_service.phone_of(session, app.state.settings, uuid.UUID(me["user_id"])) == "13800000011"
    )  # for SMS
    # The session key never leaves the exchange: not in answers, not in the log.
    assert s.session_keys and not any(k in caplog.text for k in s.session_keys)

    stranger = ok(await login(client, s.login_code(APP_ID, "openid-li"), s.phone_code(APP_ID, "13800000012")))
    problem(
        await cast(
            client, Voter("13800000012", "李", {"Authorization": f"Bearer {stranger['access_token']}"}), rnd["id"], [1]
        ),
        403,
        "not_on_roll",
    )
    assert s.token_fetches == 1  # the stable token fetched once, then read from the database


async def test_forged_replayed_and_throttled_codes_are_refused(client, session, app, tree, wechat):
    s = wechat.state
    problem(await login(client, "0forgedcode0000000000000000000"), 401, "wechat_code_invalid")
    problem(await login(client, s.login_code(OTHER_APP, "o-x")), 401, "wechat_code_invalid")
    code = s.login_code(APP_ID, "openid-z")
    ok(await login(client, code, s.phone_code(APP_ID, "13800000021")))
    problem(await login(client, code), 401, "wechat_code_used")
    s.rate_limited = True
    problem(await login(client, s.login_code(APP_ID, "openid-z")), 429, "wechat_rate_limited")
    problem(await login(client, "bad code!"), 422, "validation_error")


async def test_phone_codes_of_another_app_or_tampered_answers_bind_nothing(client, session, app, tree, wechat):
    s = wechat.state
    before = await count(session, WechatIdentity)
    problem(
        await login(client, s.login_code(APP_ID, "o-1"), s.phone_code(OTHER_APP, "13800000031")),
        422,
        "wechat_phone_code_invalid",
    )
    s.watermark_appid = OTHER_APP
    problem(
        await login(client, s.login_code(APP_ID, "o-1"), s.phone_code(APP_ID, "13800000031")),
        422,
        "wechat_phone_code_other_app",
    )
    s.watermark_appid = None
    problem(await login(client, s.login_code(APP_ID, "o-1")), 422, "wechat_phone_required")
    assert await count(session, WechatIdentity) == before


async def test_staff_phones_and_a_second_phone_are_refused(client, session, app, tree, wechat):
    s = wechat.state
    await add_user(
        session,
        Role.community_staff,
        tree.community_a1,
        username="staff-wx",
        phone="13800000041",
        secret_key=app.state.settings.secret_key,
    )
    problem(
        await login(client, s.login_code(APP_ID, "o-staff"), s.phone_code(APP_ID, "13800000041")),
        403,
        "wechat_not_for_staff",
    )
    ok(await login(client, s.login_code(APP_ID, "o-2"), s.phone_code(APP_ID, "13800000042")))
    problem(
        await login(client, s.login_code(APP_ID, "o-2"), s.phone_code(APP_ID, "13800000043")),
        409,
        "wechat_phone_mismatch",
    )


async def test_without_a_configured_app_wechat_sign_in_says_so(client, app, wechat):
    app.state.settings.wechat_app_id = ""
    problem(await login(client, wechat.state.login_code(APP_ID, "o-3")), 503, "wechat_not_configured")
