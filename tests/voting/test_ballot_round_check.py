"""A ballot names an existing round, checked once per statement (migration 0037) rather than by a foreign key per
row: a ballot naming no round is refused, alone or among good rows, a round with ballots cannot be deleted, and
the close's one-statement rewrite of a round (with its replaced versions) keeps every ballot, on both backends."""

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.programmes.helpers import API, ok
from tests.voting.helpers import cast, create_round, end_window, import_roll, resident, roll_csv, shortlist

PHONES = ["13900000201", "13900000202"]
# A copy of the round's ballots under new ids and digests, naming the round :round (a bound uuid, as stored).
_COPY = (
    "INSERT INTO ballot (id, programme_year, round_id, voter_tag, choices, choice_mask, receipt_digest)"
    " SELECT :new_id, programme_year, :round, NULL, choices, choice_mask, substr(receipt_digest, 2) || 'x' FROM ballot"
    " WHERE round_id = :old LIMIT 1"
)


async def _round_with_ballots(client, session, app, pw) -> dict:
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    proposals = await shortlist(client, pw, [1_000_000, 800_000, 700_000])
    ok(await import_roll(client, h, a1, roll_csv([(p, f"居民{i}", "", "") for i, p in enumerate(PHONES)])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    voters = [await resident(session, app, pw.tree.community_a1, p) for p in PHONES]
    ok(await cast(client, voters[0], rnd["id"], [1]), 201)
    ok(await cast(client, voters[1], rnd["id"], [2]), 201)
    ok(await cast(client, voters[1], rnd["id"], [2, 3]), 201)  # a change: one replaced version
    return rnd


def _uuid(conn, value: uuid.UUID):
    # Stored as the dialect stores a UUID (CHAR(32) hex on SQLite).
    return value if conn.dialect.name == "postgresql" else value.hex


async def test_a_ballot_naming_no_round_is_refused_and_a_round_with_ballots_stays(client, session, app, pw):
    rnd = await _round_with_ballots(client, session, app, pw)
    round_id = uuid.UUID(rnd["id"])
    engine = app.state.engine
    async with engine.connect() as conn:
        old = _uuid(conn, round_id)
        # A good row is accepted (and rolled back): the check lets existing rounds through.
        async with conn.begin() as tx:
            params = {"new_id": _uuid(conn, uuid.uuid4()), "round": old, "old": old}
            assert (await conn.execute(text(_COPY), params)).rowcount == 1
            await tx.rollback()
        with pytest.raises(IntegrityError, match="fk_ballot_round_id_voting_round"):
            async with conn.begin():
                params = {"new_id": _uuid(conn, uuid.uuid4()), "round": _uuid(conn, uuid.uuid4()), "old": old}
                await conn.execute(text(_COPY), params)
        with pytest.raises(IntegrityError, match="fk_ballot_round_id_voting_round"):
            async with conn.begin():
                for table in ("round_project", "vote_mark", "ballot_history"):
                    await conn.execute(text(f"DELETE FROM {table} WHERE round_id = :r"), {"r": old})  # noqa: S608
                await conn.execute(text("DELETE FROM voting_round WHERE id = :r"), {"r": old})
        assert await conn.scalar(text("SELECT count(*) FROM ballot WHERE round_id = :r"), {"r": old}) == 2


async def test_a_ballot_cannot_be_moved_to_another_round(client, session, app, pw):
    # The foreign key checked an UPDATE's new round too; now no UPDATE may move a ballot at all.
    rnd = await _round_with_ballots(client, session, app, pw)
    async with app.state.engine.connect() as conn:
        old = _uuid(conn, uuid.UUID(rnd["id"]))
        for target in (_uuid(conn, uuid.uuid4()), old):
            moved = "UPDATE ballot SET round_id = :t WHERE round_id = :r"
            if target == old:  # naming the same round is no move: allowed
                async with conn.begin() as tx:
                    assert (await conn.execute(text(moved), {"t": target, "r": old})).rowcount == 2
                    await tx.rollback()
                continue
            with pytest.raises(IntegrityError, match="a ballot stays in its round"):
                async with conn.begin():
                    await conn.execute(text(moved), {"t": target, "r": old})
        assert await conn.scalar(text("SELECT count(*) FROM ballot WHERE round_id = :r"), {"r": old}) == 2


async def test_the_close_rewrites_ballots_and_versions_in_one_statement_and_keeps_them(client, session, app, pw):
    rnd = await _round_with_ballots(client, session, app, pw)
    await end_window(session, rnd["id"])
    ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=pw.h["staff_a1"]))
    async with app.state.engine.connect() as conn:
        old = _uuid(conn, uuid.UUID(rnd["id"]))
        counts = [
            await conn.scalar(text(f"SELECT count(*) FROM {t} WHERE round_id = :r"), {"r": old})  # noqa: S608
            for t in ("ballot", "ballot_history")
        ]
        tagged = await conn.scalar(
            text("SELECT count(*) FROM ballot WHERE round_id = :r AND voter_tag IS NOT NULL"), {"r": old}
        )
    assert counts == [2, 1]
    assert tagged == 0
    result = ok(await client.get(f"{API}/public/voting/rounds/{rnd['id']}/result"))
    assert result["ballots_counted"] == 2
