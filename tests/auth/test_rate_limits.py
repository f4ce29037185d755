"""Rate limits: counted in the database, per account, phone and client address, shared by all workers."""

from datetime import timedelta

from sqlalchemy import select, update

from app.auth.models import Role
from app.common.models import utcnow
from app.ratelimit.models import RateLimitCounter
from app.ratelimit.service import limit_for, purge_ended
from tests.auth.helpers import assert_problem, login, password_hash
from tests.factories import add_user

OTP = "/api/v1/auth/otp/request"


def _assert_limited(r, window: int) -> None:
    body = assert_problem(r, 429, "rate_limited")
    retry_after = int(r.headers["retry-after"])
    assert 1 <= retry_after <= window
    assert body["retry_after"] == retry_after


STRANGER = "198.51.100.66"
BACKOFF = {"login_backoff_free_failures": 2, "login_backoff_base_seconds": 60}


def _assert_waiting(r, low: int, high: int) -> None:
    body = assert_problem(r, 429, "login_backoff")
    retry_after = int(r.headers["retry-after"])
    assert low <= retry_after <= high and body["retry_after"] == retry_after
    assert "请稍后再试" in body["detail"]


async def _end_the_wait(app) -> None:
    async with app.state.sessionmaker() as s:
        await s.execute(
            update(RateLimitCounter)
            .where(RateLimitCounter.key.startswith("login:backoff:"))
            .values(window_start=utcnow() - timedelta(seconds=1))
        )
        await s.commit()


async def test_wrong_passwords_slow_only_the_guessing_address_not_the_owner(build):
    app, stranger = await build(peer=STRANGER, **BACKOFF)
    _, owner = await build(**BACKOFF)
    async with app.state.sessionmaker() as s:
        await add_user(s, Role.admin, username="target", password_hash=password_hash())
    for _ in range(3):  # two free failures, the third sets a wait
        assert_problem(await login(stranger, "target", "guess-guess-guess"), 401, "bad_credentials")
    # The guessing address waits, even with the right password and another spelling of the account ...
    _assert_waiting(await login(stranger, "target"), 50, 60)
    _assert_waiting(await login(stranger, "TARGET "), 50, 60)
    # ... while the owner, from their own address, logs in at once: no lock anyone can set off.
    assert (await login(owner, "target")).status_code == 200
    # Other accounts from the guessing address are not slowed either.
    assert_problem(await login(stranger, "someone.else", "whatever"), 401, "bad_credentials")


async def test_the_wait_doubles_and_a_success_forgets_the_failures(build):
    app, client = await build(**BACKOFF)
    async with app.state.sessionmaker() as s:
        await add_user(s, Role.admin, username="target", password_hash=password_hash())
    for _ in range(3):
        assert_problem(await login(client, "target", "guess-guess-guess"), 401, "bad_credentials")
    _assert_waiting(await login(client, "target", "guess-guess-guess"), 50, 60)
    await _end_the_wait(app)
    assert_problem(await login(client, "target", "guess-guess-guess"), 401, "bad_credentials")
    _assert_waiting(await login(client, "target", "guess-guess-guess"), 110, 120)  # 4th failure: twice as long
    await _end_the_wait(app)
    assert (await login(client, "target")).status_code == 200
    # The success cleared the count: the next failures are free again.
    for _ in range(2):
        assert_problem(await login(client, "target", "guess-guess-guess"), 401, "bad_credentials")
    assert (await login(client, "target")).status_code == 200


async def test_login_is_limited_per_client_address(build):
    _, client = await build(rate_login_per_ip="3/900")
    for i in range(3):
        assert_problem(await login(client, f"user{i}", "whatever"), 401)
    _assert_limited(await login(client, "user-new", "whatever"), 900)


async def test_two_app_instances_share_the_counters(build):
    _, first = await build(**BACKOFF)
    _, second = await build(**BACKOFF)
    assert_problem(await login(first, "ghost", "whatever"), 401)
    assert_problem(await login(second, "ghost", "whatever"), 401)
    assert_problem(await login(first, "ghost", "whatever"), 401)
    _assert_waiting(await login(second, "ghost", "whatever"), 50, 60)
    _assert_waiting(await login(first, "ghost", "whatever"), 50, 60)


async def test_counters_reset_when_the_window_ends(build):
    app, client = await build(rate_otp_per_phone="1/3600")
    assert (await client.post(OTP, json={"phone": "13800138000"})).status_code == 202
    _assert_limited(await client.post(OTP, json={"phone": "13800138000"}), 3600)
    async with app.state.sessionmaker() as s:
        rows = (await s.scalars(select(RateLimitCounter))).all()
        assert rows and all("1380013" not in row.key for row in rows)  # no phone numbers at rest
        await s.execute(update(RateLimitCounter).values(window_start=utcnow() - timedelta(seconds=3601)))
        await s.commit()
    assert (await client.post(OTP, json={"phone": "13800138000"})).status_code == 202


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(build):
    _, client = await build(rate_otp_per_ip="2/3600")
    for i, spoof in enumerate(["198.51.100.1", "198.51.100.2"]):
        r = await client.post(OTP, json={"phone": f"1390000000{i}"}, headers={"X-Forwarded-For": spoof})
        assert r.status_code == 202
    _assert_limited(
        await client.post(OTP, json={"phone": "13900000009"}, headers={"X-Forwarded-For": "198.51.100.3"}), 3600
    )


async def test_forwarded_for_is_honoured_from_a_trusted_proxy(build):
    _, client = await build(peer="10.0.0.5", trusted_proxies=["10.0.0.0/8"], rate_otp_per_ip="2/3600")

    async def ask(phone: str, forwarded: str):
        return await client.post(OTP, json={"phone": phone}, headers={"X-Forwarded-For": forwarded})

    assert (await ask("13900000001", "198.51.100.1")).status_code == 202
    assert (await ask("13900000002", "198.51.100.1")).status_code == 202
    _assert_limited(await ask("13900000003", "198.51.100.1"), 3600)
    # A client cannot escape by writing its own X-Forwarded-For: the proxy appends the real address.
    _assert_limited(await ask("13900000004", "203.0.113.77, 198.51.100.1"), 3600)
    # Another client behind the same proxy (through a second proxy of ours) has its own budget.
    assert (await ask("13900000005", "198.51.100.2, 10.0.0.9")).status_code == 202


async def test_purging_removes_counters_whose_window_ended_under_every_limit(build):
    app, client = await build(rate_otp_per_phone="1/3600", rate_login_per_ip="50/60")
    stale, live = ("13800138000", "13800138001")
    for phone in (stale, live):
        assert (await client.post(OTP, json={"phone": phone})).status_code == 202
    stale_key, live_key = (
        limit_for(app.state.settings, "rate_otp_per_phone", "otp:phone", phone).key for phone in (stale, live)
    )
    async with app.state.sessionmaker() as s:
        # One phone's window began an hour ago: past the longest window (3600 s), so no limit still counts it.
        await s.execute(
            update(RateLimitCounter)
            .where(RateLimitCounter.key == stale_key)
            .values(window_start=utcnow() - timedelta(seconds=3601))
        )
        await s.commit()
        purged = await purge_ended(s, app.state.settings)
        await s.commit()
        left = set((await s.scalars(select(RateLimitCounter.key))).all())
    assert purged == 1 and stale_key not in left and live_key in left
    _assert_limited(await client.post(OTP, json={"phone": live}), 3600)  # its counter was kept
    assert (await client.post(OTP, json={"phone": stale})).status_code == 202  # a new window, as unpurged
