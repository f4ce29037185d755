"""OWASP API1:2023 Broken Object Level Authorization: a resident reaches only their own objects.

Already covered elsewhere (and not repeated here): another resident's proposal draft is a 404 for
everyone else, read and write (tests/proposals/test_access.py); staff outside a region get 403/404 on
every route (tests/test_access_matrix.py); attachments (tests/proposals/test_attachments.py).
"""

import uuid

from sqlalchemy import select

from app.voting.models import Ballot
from tests.programmes.helpers import API, ok, problem
from tests.voting.helpers import cast, create_round, import_roll, resident, roll_csv, shortlist


async def test_a_resident_neither_sees_nor_changes_another_residents_ballot(client, session, app, pw):
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [500_000, 600_000, 700_000])
    ok(
        await import_roll(
            client,
            h,
            pw.tree.community_a1.id,
            roll_csv([("13800000001", "张三", "", "1"), ("13800000002", "李四", "", "2")]),
        )
    )
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    alice = await resident(session, app, pw.tree.community_a1, "13800000001")
    bob = await resident(session, app, pw.tree.community_a1, "13800000002")
    outsider = await resident(session, app, pw.tree.community_a1, "13800000009")
    receipt = ok(await cast(client, alice, rnd["id"], [1, 2]), 201)

    mine = f"{API}/voting/rounds/{rnd['id']}/my-ballot"
    assert ok(await client.get(mine, headers=alice.h))["ballot"]["choices"] == [1, 2]
    # Bob's view of the same round is his own (none yet): there is no URL that names Alice's ballot.
    bobs = ok(await client.get(mine, headers=bob.h))
    assert bobs["on_roll"] and bobs["ballot"] is None and "13800000001" not in str(bobs)
    # Bob casting changes his ballot only; Alice's stays as she cast it.
    ok(await cast(client, bob, rnd["id"], [3]), 201)
    assert ok(await client.get(mine, headers=alice.h))["ballot"]["choices"] == [1, 2]
    assert sorted(b.choices for b in (await session.scalars(select(Ballot))).all()) == [[1, 2], [3]]
    # Someone not on the roll cannot vote at all, nor enter a paper ballot for Alice.
    assert (await cast(client, outsider, rnd["id"], [1])).status_code in (403, 404)
    roll = ok(await client.get(f"{API}/communities/{pw.tree.community_a1.id}/voter-roll", headers=h))["items"]
    alice_entry = next(e for e in roll if e["name"] == "张三")
    problem(
        await client.post(
            f"{API}/voting/rounds/{rnd['id']}/paper-ballots",
            headers=bob.h,
            json={"roll_entry_id": alice_entry["id"], "choices": [3]},
        ),
        403,
        "role_forbidden",
    )
    # The public receipt check says whether a ballot counts, never what it chose or whose it is.
    check = ok(await client.get(f"{API}/public/voting/receipts/{receipt['receipt_code']}"))
    assert set(check) == {"round_id", "round_title", "status", "pb_voter_id"}
    assert ok(await client.get(mine, headers=alice.h))["ballot"]["choices"] == [1, 2]


async def test_a_resident_reads_no_one_elses_personal_data(client, pw):
    me = ok(await client.get(f"{API}/auth/me", headers=pw.h["resident"]))
    other = pw.users["resident2"]
    assert me["user_id"] == str(pw.users["resident"].id) != str(other.id)
    # User records (names, phones, regions) are staff screens: a resident gets 403 for any id, their own too.
    for user_id in (other.id, me["user_id"], uuid.uuid4()):
        problem(await client.get(f"{API}/users/{user_id}", headers=pw.h["resident"]), 403, "role_forbidden")
        problem(
            await client.patch(f"{API}/users/{user_id}", headers=pw.h["resident"], json={"display_name": "改名"}),
            403,
            "role_forbidden",
        )
    problem(await client.get(f"{API}/users", headers=pw.h["resident"]), 403, "role_forbidden")
    # The voter roll (names, masked phones, households) is for staff only.
    problem(
        await client.get(f"{API}/communities/{pw.tree.community_a1.id}/voter-roll", headers=pw.h["resident"]),
        403,
        "role_forbidden",
    )
