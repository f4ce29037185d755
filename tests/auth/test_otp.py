"""Residents log in with a one-time code sent to their phone."""

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from app.auth import otp_service
from app.auth.models import OtpCode, Role, User
from app.auth.secrets import keyed_digest
from app.common.models import utcnow
from tests.auth.helpers import assert_problem, auth
from tests.factories import add_user

REQUEST, VERIFY = "/api/v1/auth/otp/request", "/api/v1/auth/otp/verify"
PHONE = "13912345678"


async def _ask(client, phone=PHONE):
    r = await client.post(REQUEST, json={"phone": phone})
    assert r.status_code == 202, r.text
    return r


async def _verify(client, code, phone=PHONE):
    return await client.post(VERIFY, json={"phone": phone, "code": code})


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_new_resident_logs_in_with_a_code(client, session, app, otp_sender):
    await _ask(client, "+86 139-1234-5678")
    assert otp_sender.sent[-1][0] == PHONE
    code = otp_sender.last_code(PHONE)
    assert len(code) == 6 and code.isdigit()
    r = await _verify(client, code)
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["role"] == "resident" and tokens["refresh_token"]
    me = (await client.get("/api/v1/auth/me", headers=auth(tokens["access_token"]))).json()
    assert me["role"] == "resident" and me["phone_masked"] == "139****5678" and me["username"] is None
    # Only the keyed digest of the number is stored, never the number or the code.
    user = await session.scalar(select(User).where(User.id == uuid.UUID(me["user_id"])))
    assert user.phone_digest == keyed_digest(app.state.settings.secret_key, "phone", PHONE)
    row = await session.scalar(select(OtpCode))
    assert code not in row.code_hash and row.consumed_at is not None
    # A used code cannot be used again.
    assert_problem(await _verify(client, code), 401, "otp_invalid")


async def test_known_and_unknown_numbers_get_the_same_answer(client, session, app, otp_sender):
    await add_user(session, Role.resident, phone="13800138000", secret_key=app.state.settings.secret_key)
    known, unknown = await _ask(client, "13800138000"), await _ask(client, "13700137000")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(otp_sender.sent) == 2


async def test_existing_resident_gets_their_own_account(client, session, app, otp_sender):
    resident = await add_user(session, Role.resident, phone=PHONE, secret_key=app.state.settings.secret_key)
    await _ask(client)
    tokens = (await _verify(client, otp_sender.last_code(PHONE))).json()
    assert tokens["user_id"] == str(resident.id)
    assert await session.scalar(select(User.id).where(User.role == Role.resident).offset(1)) is None


async def test_wrong_codes_are_counted_and_exhaust_the_code(client, session, otp_sender):
    await _ask(client)
    code = otp_sender.last_code(PHONE)
    for left in range(4, -1, -1):
        body = assert_problem(await _verify(client, _wrong(code)), 401, "otp_invalid")
        assert body["attempts_left"] == left
    # Counted in the database although every one of those requests failed.
    assert (await session.scalar(select(OtpCode.attempts))) == 5
    assert_problem(await _verify(client, code), 401, "otp_attempts_exhausted")
    # A new code starts afresh.
    await _ask(client)
    assert (await _verify(client, otp_sender.last_code(PHONE))).status_code == 200


async def test_an_expired_code_fails(client, session, otp_sender):
    await _ask(client)
    await session.execute(update(OtpCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    assert_problem(await _verify(client, otp_sender.last_code(PHONE)), 401, "otp_invalid")


def _fixed_codes(monkeypatch, *codes: str) -> None:
    pending = list(codes)
    monkeypatch.setattr("app.auth.otp_service.new_code", lambda: pending.pop(0))


async def test_a_new_request_keeps_earlier_codes_valid_and_a_login_spends_them_all(client, otp_sender, monkeypatch):
    _fixed_codes(monkeypatch, "111111", "222222")
    await _ask(client)
    await _ask(client)
    # A request (anyone's) must not void the code its owner is about to type.
    assert (await _verify(client, "111111")).status_code == 200
    assert_problem(await _verify(client, "222222"), 401, "otp_invalid")


async def test_a_code_is_bound_to_its_phone(client, otp_sender, monkeypatch):
    _fixed_codes(monkeypatch, "111111", "222222")
    await _ask(client)
    await _ask(client, "13700137000")
    assert_problem(await _verify(client, "111111", "13700137000"), 401, "otp_invalid")
    assert (await _verify(client, "111111")).status_code == 200


async def test_staff_phones_cannot_log_in_by_code(client, session, app, otp_sender):
    await add_user(session, Role.district_admin, username="boss", phone=PHONE, secret_key=app.state.settings.secret_key)
    await _ask(client)
    assert_problem(await _verify(client, otp_sender.last_code(PHONE)), 403, "otp_not_for_staff")


async def test_invalid_numbers_are_422(client, otp_sender):
    for phone in ("12345678901", "1391234567x", "+1 415 555 0100"):
        assert_problem(await client.post(REQUEST, json={"phone": phone}), 422)
    assert_problem(await client.post(VERIFY, json={"phone": PHONE, "code": "12345"}), 422)
    assert_problem(await client.post(VERIFY, json={"phone": "23912345678", "code": "123456"}), 422, "invalid_phone")
    assert otp_sender.sent == []


async def test_requests_are_limited_per_phone_in_every_spelling(build):
    app, client = await build(rate_otp_per_phone="2/3600")
    for _ in range(2):
        await _ask(client)
    for spelling in ("139 1234 5678", "1391234567８", "＋８６１３９１２３４５６７８"):  # same number, other spellings
        r = await client.post(REQUEST, json={"phone": spelling})
        body = assert_problem(r, 429, "rate_limited")
        assert 1 <= int(r.headers["retry-after"]) <= 3600 and body["retry_after"] == int(r.headers["retry-after"])
    assert len(app.state.otp_sender.sent) == 2
    await _ask(client, "13700137000")


async def test_full_width_digits_are_read_as_the_number_they_spell(client, otp_sender):
    await _ask(client, "１３９１２３４５６７８")
    assert otp_sender.sent == [(PHONE, otp_sender.last_code(PHONE))]
    assert (await _verify(client, otp_sender.last_code(PHONE), "139-1234-567８")).status_code == 200
    # Digits of other scripts are not mapped to ASCII by NFKC: refused, not a second spelling.
    assert_problem(await client.post(REQUEST, json={"phone": "1391234567٨"}), 422, "invalid_phone")


async def test_a_stranger_asking_for_codes_cannot_lock_the_owner_out(build):
    owner_app, owner = await build()
    _, stranger = await build(peer="198.51.100.66")
    await _ask(owner)
    first = owner_app.state.otp_sender.last_code(PHONE)
    statuses = [(await stranger.post(REQUEST, json={"phone": PHONE})).status_code for _ in range(12)]
    # One address gets three codes for the number; its refused requests do not spend the phone's budget.
    assert statuses == [202] * 3 + [429] * 9
    await _ask(owner)
    assert len(owner_app.state.otp_sender.sent) == 2
    # The code the owner received first still logs them in.
    assert (await _verify(owner, first)).status_code == 200


async def test_the_phone_budget_never_blocks_verifying_a_code_received(build):
    owner_app, owner = await build(rate_otp_per_phone="1/3600")
    _, stranger = await build(peer="198.51.100.66", rate_otp_per_phone="1/3600")
    await _ask(owner)
    assert_problem(await stranger.post(REQUEST, json={"phone": PHONE}), 429, "rate_limited")
    assert (await _verify(owner, owner_app.state.otp_sender.last_code(PHONE))).status_code == 200


async def test_requests_are_limited_per_client_address(build):
    _, client = await build(rate_otp_per_ip="3/3600")
    for i in range(3):
        await _ask(client, f"1370013700{i}")
    assert_problem(await client.post(REQUEST, json={"phone": "13700137009"}), 429, "rate_limited")


async def test_purging_removes_used_and_expired_codes_and_keeps_a_live_one(client, session, app, otp_sender):
    used, stale, live = "13900000001", "13900000002", "13900000003"
    for phone in (used, stale, live):
        await _ask(client, phone)
    assert (await _verify(client, otp_sender.last_code(used), used)).status_code == 200
    stale_digest = keyed_digest(app.state.settings.secret_key, "phone", stale)
    await session.execute(
        update(OtpCode).where(OtpCode.phone_digest == stale_digest).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await session.commit()
    async with app.state.sessionmaker() as s:
        assert await otp_service.purge_spent_codes(s) == 2
        await s.commit()
    session.expire_all()
    assert len((await session.scalars(select(OtpCode))).all()) == 1
    assert (await _verify(client, otp_sender.last_code(live), live)).status_code == 200  # untouched
