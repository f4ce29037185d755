"""POST /me/deletion: a resident deletes their account; what the law and the audit need stays, unlinked."""

import json

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import AuthSession, User
from app.notices.models import Objection
from app.voting.models import Ballot
from tests.notices.helpers import item_numbered, published
from tests.privacy.helpers import give_phone
from tests.programmes.helpers import API, ok, problem
from tests.voting.helpers import Voter, cast, create_round, end_window, import_roll, resident, roll_csv, shortlist

PHONE = "13900000077"
DELETE = f"{API}/me/deletion"


async def test_a_ballot_in_an_open_round_stays_counted_and_is_unlinked(client, session, app, pw):
    me = pw.users["resident"]
    await give_phone(session, app, me, PHONE)
    proposals = await shortlist(client, pw, [500_000, 600_000, 700_000])
    ok(
        await import_roll(
            client,
            pw.h["staff_a1"],
            pw.tree.community_a1.id,
            roll_csv([(PHONE, "王小明", "", "1"), ("13800000002", "李四", "", "2")]),
        )
    )
    rnd = ok(await create_round(client, pw.h["staff_a1"], pw.world.pilot_a1["id"], proposals), 201)
    ok(await cast(client, Voter(PHONE, "王小明", pw.h["resident"]), rnd["id"], [1, 2]), 201)
    neighbour = await resident(session, app, pw.tree.community_a1, "13800000002")
    ok(await cast(client, neighbour, rnd["id"], [1]), 201)
    [entry] = ok(await client.get(f"{API}/me/data", headers=pw.h["resident"]))["roll_entries"]
    assert [(v["round_id"], v["channel"], v["casts"]) for v in entry["votes"]] == [(rnd["id"], "online", 1)]

    # Refused, changing nothing: a staff account, an anonymous caller, a request not confirmed.
    problem(
        await client.post(DELETE, headers=pw.h["staff_a1"], json={"confirm": True}), 403, "account_not_self_deletable"
    )
    problem(await client.post(DELETE, json={"confirm": True}), 401, "not_authenticated")
    problem(await client.post(DELETE, headers=pw.h["resident"], json={"confirm": False}), 422, "validation_error")
    assert ok(await client.get(f"{API}/auth/me", headers=pw.h["resident"]))["phone_masked"] == "139****0077"

    done = ok(await client.post(DELETE, headers=pw.h["resident"], json={"confirm": True}))
    assert (done["ballots_unlinked"], done["proposals_kept"], done["roll_entries_kept"]) == (1, 3, 1)
    assert "仍然计票" in done["message"] and done["pseudonym"].startswith("已注销用户")
    problem(await client.get(f"{API}/auth/me", headers=pw.h["resident"]), 401, "session_revoked")

    row = await session.get(User, me.id)
    await session.refresh(row)
    assert (row.phone_digest, row.phone_masked, row.username, row.is_active) == (None, None, None, False)
    assert row.display_name == done["pseudonym"] and row.deleted_at is not None
    assert (
        await session.scalar(
            select(func.count())
            .select_from(AuthSession)
            .where(AuthSession.user_id == me.id, AuthSession.revoked_at.is_(None))
        )
        == 0
    )
    tags = sorted((await session.scalars(select(Ballot.voter_tag))).all(), key=str)
    assert len(tags) == 2 and tags.count(None) == 1
    # The proposals stay, the proposer anonymous; the audit trail names the account by id and pseudonym only.
    shown = ok(await client.get(f"{API}/proposals/{proposals[0]['id']}", headers=pw.h["staff_a1"]))
    assert shown["title"] == proposals[0]["title"]
    erase = await session.scalar(select(AuditEvent).where(AuditEvent.action == "user.erase"))
    assert erase.entity_id == str(me.id) and "0077" not in json.dumps(erase.after, ensure_ascii=False)
    await session.commit()

    # Logging in again with the same phone makes a new account: it sees that it voted, never the ballot.
    again = await resident(session, app, pw.tree.community_a1, PHONE)
    mine = ok(await client.get(f"{API}/voting/rounds/{rnd['id']}/my-ballot", headers=again.h))
    assert mine["ballot"]["choices"] is None
    problem(await cast(client, again, rnd["id"], [3]), 409, "ballot_unreachable")
    await end_window(session, rnd["id"])
    closed = ok(await client.post(f"{API}/voting/rounds/{rnd['id']}/close", headers=pw.h["staff_a1"]))
    assert closed["ballots_counted"] == 2


async def test_objections_stay_without_their_author_and_the_proposal_stays_public(client, session, app, pw):
    notice, _, proposals = await published(client, session, app, pw)
    item = item_numbered(notice, 1)["id"]
    filed = ok(
        await client.post(
            f"{API}/public/notices/{notice['id']}/objections",
            headers=pw.h["resident"],
            json={"item_id": item, "reason": "预算偏高，请核实报价。", "contact": "王先生 13911112222"},
        ),
        201,
    )
    ok(await client.post(DELETE, headers=pw.h["resident"], json={"confirm": True}))
    row = await session.scalar(select(Objection).where(Objection.tracking_code == filed["tracking_code"]))
    assert (row.submitted_by_user_id, row.contact, row.reason) == (None, None, "预算偏高，请核实报价。")
    # Its author follows it still by tracking code, and the project stays on the public board.
    ok(await client.get(f"{API}/public/objections/{filed['tracking_code']}"))
    ok(await client.get(f"{API}/public/proposals/{proposals[0]['id']}"))
    # A second deletion with the old token: the account is gone.
    problem(await client.post(DELETE, headers=pw.h["resident"], json={"confirm": True}), 401, "session_revoked")
