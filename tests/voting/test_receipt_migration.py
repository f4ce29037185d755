"""Migration 0031 on a database with ballots: receipts handed out before it (16-character codes, no round hint)
get their rounds in legacy_receipt, in digest order, and are still checked; codes handed out after carry their
round's hint and need no such row; the migration goes back down with the rows and up again."""

import hashlib

import pytest
from sqlalchemy import text

from app.core.migrations import downgrade, upgrade
from app.voting import rules
from tests.programmes.helpers import API, ok
from tests.voting.helpers import cast, create_round, import_roll, resident, roll_csv, shortlist

PHONES = ["13900000201", "13900000202"]
# What the codes of before 0031 looked like: 16 base32 characters in groups of four.
OLD_CODES = ["ABCD-EFGH-IJKL-MNOP", "QRST-UVWX-YZ23-4567", "MNOP-ABCD-2345-WXYZ"]


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()  # rules.receipt_digest of an upper-case code


async def _check(client, code: str) -> tuple[str, str | None]:
    answer = ok(await client.get(f"{API}/public/voting/receipts/{code}"))
    return answer["status"], answer["pb_voter_id"]


@pytest.mark.fresh_database
async def test_receipts_of_before_the_migration_are_moved_and_still_checked(client, session, app, pw, db_url):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    proposals = await shortlist(client, pw, [1_000_000, 800_000, 700_000])
    ok(await import_roll(client, h, a1, roll_csv([(p, f"居民{i}", "", "") for i, p in enumerate(PHONES)])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    voters = [await resident(session, app, pw.tree.community_a1, p) for p in PHONES]
    answers = [ok(await cast(client, v, rnd["id"], c), 201) for v, c in ((voters[0], [1]), (voters[1], [2]))]
    answers.append(ok(await cast(client, voters[1], rnd["id"], [1, 2]), 201))  # the [2] ballot is replaced
    await session.close()
    await app.state.engine.dispose()

    # At 0030 the three receipts become codes of that time (no hint), as if handed out then.
    downgrade(db_url, "0030")
    async with app.state.engine.begin() as conn:
        for answer, old in zip(answers, OLD_CODES, strict=True):
            for table in ("ballot", "ballot_history"):
                await conn.execute(
                    text(f"UPDATE {table} SET receipt_digest = :old WHERE receipt_digest = :new"),  # noqa: S608
                    {"old": _digest(old), "new": rules.receipt_digest(answer["receipt_code"])},
                )
    await app.state.engine.dispose()
    upgrade(db_url)
    await app.state.engine.dispose()

    async with app.state.engine.begin() as conn:
        moved = (await conn.execute(text("SELECT receipt_digest, round_id FROM legacy_receipt"))).all()
    assert sorted(d for d, _ in moved) == sorted(_digest(c) for c in OLD_CODES)
    assert [d for d, _ in moved] == sorted(d for d, _ in moved)  # in digest order, not the casts'
    assert {str(r).replace("-", "") for _, r in moved} == {rnd["id"].replace("-", "")}
    assert [(await _check(client, c))[0] for c in OLD_CODES] == ["recorded", "superseded", "recorded"]
    assert (await _check(client, OLD_CODES[0].lower()))[0] == "recorded"
    # A ballot cast now gets a hinted code and no legacy row; an unknown code of either form is refused.
    third = await resident(session, app, pw.tree.community_a1, "13900000203")
    ok(await import_roll(client, h, a1, roll_csv([("13900000203", "居民3", "", "")])))
    fresh = ok(await cast(client, third, rnd["id"], [3]), 201)["receipt_code"]
    assert rules.hinted_rounds(fresh) is not None and (await _check(client, fresh))[0] == "recorded"
    async with app.state.engine.begin() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM legacy_receipt"))).scalar() == 3
    for unknown in ("ZZZZ-ZZZZ-ZZZZ-ZZZZ", fresh[:-4] + "AAAA"):
        refused = await client.get(f"{API}/public/voting/receipts/{unknown}")
        assert refused.status_code == 404 and refused.json()["code"] == "receipt_not_found"
    await session.close()
    await app.state.engine.dispose()

    # Down and up again with the rows: every receipt still checks.
    downgrade(db_url, "0030")
    upgrade(db_url)
    await app.state.engine.dispose()
    statuses = [(await _check(client, c))[0] for c in [*OLD_CODES, fresh]]
    assert statuses == ["recorded", "superseded", "recorded", "recorded"]
