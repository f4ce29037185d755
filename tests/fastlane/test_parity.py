"""Every fast route against its route (tests/fastlane/conftest.py's both_paths): the plain cases the fast lane
answers and the refusals it leaves to the route, on every backend (and through PgBouncer)."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.auth.models import AuthSession, Role, User
from app.board.router import router as board_router
from app.common.models import utcnow
from app.fastlane.lane import FastLane
from app.fastlane.routes import ROUTES
from app.voting.models import RoundStatus, VotingRound
from tests.factories import make_tree, spy_on_fast_lane
from tests.programmes.helpers import API
from tests.proposals.helpers import create, make_pworld, submitted
from tests.voting.helpers import create_round, import_roll, resident, roll_csv, shortlist

ROWS = [("13800000001", "张三", "", "3栋501"), ("13800000002", "李四", "", "3栋501"), ("13800000003", "王五", "", "")]


@pytest.fixture
async def pw(client, session, app):
    tree = await make_tree(session)
    return await make_pworld(client, session, app, tree, rules={"ballot": {"ballot_unit": "household"}})


def test_every_fast_route_is_a_route_of_the_app(app):
    """The registry is keyed by the routes' own method and template: a typo or a moved route fails here."""
    routes = {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}
    routes |= {(method, route.path) for route in board_router.routes for method in route.methods}  # not in it
    assert ROUTES and all((r.method, r.template) in routes for r in ROUTES)
    [lane] = [m for m in app.user_middleware if m.cls is FastLane]
    assert lane.kwargs["routes"] == ROUTES


async def test_casting_down_both_paths(client, session, app, pw, both_paths):
    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [1_000_000, 800_000, 700_000])
    assert (await import_roll(client, h, pw.tree.community_a1.id, roll_csv(ROWS))).status_code == 200
    rnd = (await create_round(client, h, pw.world.pilot_a1["id"], proposals)).json()
    a, b, c = [await resident(session, app, pw.tree.community_a1, phone) for phone, *_ in ROWS]
    stranger = await resident(session, app, pw.tree.community_a1, "13900000009")
    url = f"{API}/voting/rounds/{rnd['id']}/ballots"

    def post(voter, body, **headers):
        return both_paths("POST", url, headers={**voter.h, **headers}, json=body)

    first = await post(a, {"choices": [2, 1]})
    assert first.answer.status_code == 201 and first.fast and first.answer.json()["version"] == 1
    change = await post(a, {"choices": [3]})
    assert change.answer.status_code == 201 and change.fast and change.answer.json()["version"] == 2
    third = await post(c, {"choices": [1]})
    assert third.answer.status_code == 201 and third.fast
    refusals = [
        (await post(b, {"choices": [1]}), 409),  # a's household has voted
        (await post(a, {"choices": [1, 1]}), 422),
        (await post(a, {"choices": [9]}), 422),
        (await post(a, {"choices": []}), 422),
        (await post(a, {"choices": [1], "voter_key": "x"}), 422),
        (await post(a, [1]), 422),
        (await post(stranger, {"choices": [1]}), 403),
        (await both_paths("POST", url, headers=h, json={"choices": [1]}), 403),
        (await both_paths("POST", url, json={"choices": [1]}), 401),
        (await both_paths("POST", url, headers={"Authorization": "Bearer nonsense"}, json={"choices": [1]}), 401),
        (await both_paths("POST", url, headers={**a.h, "Content-Type": "text/plain"}, content=b'{"choices":[1]}'), 422),
        (
            await both_paths(
                "POST",
                f"{API}/voting/rounds/00000000-0000-0000-0000-000000000000/ballots",
                headers=a.h,
                json={"choices": [1]},
            ),
            404,
        ),
        (await both_paths("POST", f"{API}/voting/rounds/not-a-round/ballots", headers=a.h, json={"choices": [1]}), 422),
    ]
    assert [r.answer.status_code for r, _ in refusals] == [status for _, status in refusals]
    assert not any(r.fast for r, _ in refusals)
    keyed = await post(c, {"choices": [2]}, **{"Idempotency-Key": "k-1"})  # keys are the route's
    assert keyed.answer.status_code == 201 and not keyed.fast
    mine = f"{API}/voting/rounds/{rnd['id']}/my-ballot"
    for voter, fast, status in ((a, True, 200), (b, True, 200), (stranger, True, 200)):
        r = await both_paths("GET", mine, headers=voter.h)
        assert (r.fast, r.answer.status_code) == (fast, status)
    assert (await both_paths("GET", mine, headers=a.h)).answer.json()["ballot"]["choices"] == [3]
    for path, headers, status in (
        (mine, h, 403),
        (mine, {}, 401),
        (mine.replace(rnd["id"], str(uuid.uuid4())), a.h, 404),
        (mine.replace(rnd["id"], "x"), a.h, 422),
    ):
        r = await both_paths("GET", path, headers=headers)
        assert r.answer.status_code == status and not r.fast, path
    rounds = f"{API}/voting/my-rounds"
    for voter, count in ((a, 1), (stranger, 0)):
        r = await both_paths("GET", rounds, headers=voter.h)
        assert r.fast and r.answer.status_code == 200 and len(r.answer.json()) == count
    assert [p["number"] for p in (await both_paths("GET", rounds, headers=a.h)).answer.json()[0]["projects"]] == [
        1,
        2,
        3,
    ]
    for headers, query, status in ((h, "", 403), ({}, "", 401), (a.h, "?x=1", 200)):
        r = await both_paths("GET", rounds + query, headers=headers)
        assert r.answer.status_code == status and not r.fast, (headers, query)
    receipts = f"{API}/public/voting/receipts"
    for code, status in (
        (first.answer.json()["receipt_code"], "superseded"),
        (change.answer.json()["receipt_code"], "recorded"),
    ):
        r = await both_paths("GET", f"{receipts}/{code}")
        assert r.fast and r.answer.json()["status"] == status
    for path, answer in (
        (f"{receipts}/AAAA-BBBB-CCCC-DDDD", 404),
        (f"{receipts}/short", 422),
        (f"{receipts}/AAAA-BBBB-CCCC-DDD1", 422),
    ):
        r = await both_paths("GET", path)
        assert r.answer.status_code == answer and not r.fast, path
    this = VotingRound.id == uuid.UUID(rnd["id"])
    await session.execute(update(VotingRound).where(this).values(opens_at=utcnow() + timedelta(hours=1)))
    await session.commit()
    upcoming = await post(a, {"choices": [1]})
    assert upcoming.answer.status_code == 409 and not upcoming.fast
    await session.execute(update(VotingRound).where(this).values(status=RoundStatus.cancelled))
    await session.commit()
    cancelled = await post(a, {"choices": [1]})
    assert cancelled.answer.status_code == 409 and not cancelled.fast
    await session.execute(
        update(VotingRound).where(this).values(status=RoundStatus.scheduled, opens_at=utcnow() - timedelta(hours=1))
    )
    await session.execute(
        update(User).where(User.role == Role.resident, User.phone_digest.is_not(None)).values(is_active=False)
    )
    await session.commit()
    inactive = await post(b, {"choices": [1]})
    assert inactive.answer.status_code == 401 and not inactive.fast
    await session.execute(update(User).values(is_active=True))
    await session.execute(update(AuthSession).values(revoked_at=AuthSession.created_at))
    await session.commit()
    revoked = await post(c, {"choices": [1]})
    assert revoked.answer.status_code == 401 and not revoked.fast


async def test_public_proposals_down_both_paths(client, pw, both_paths):
    p = await submitted(client, pw, title="长者助餐点", category="life_care", project_type="services")
    for title in ("楼道照明改造", "儿童游乐设施"):
        await submitted(client, pw, title=title)
    draft = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    community, programme = str(pw.tree.community_a1.id), pw.world.programme["id"]
    page = await both_paths("GET", f"{API}/public/proposals/{p['id']}")
    assert page.fast and page.answer.status_code == 200 and len(page.answer.json()["budget_lines"]) == 2
    for path, status in (
        (f"{API}/public/proposals/{draft['id']}", 404),
        (f"{API}/public/proposals/00000000-0000-0000-0000-000000000000", 404),
        (f"{API}/public/proposals/nonsense", 422),
        (f"{API}/public/proposals/{p['id']}?x=1", 200),
    ):
        r = await both_paths("GET", path)
        assert r.answer.status_code == status and not r.fast, path
    fast_queries = [
        {},
        {"community_id": community},
        {"community_id": community, "limit": "2", "offset": "1"},
        {"programme_id": programme, "state": "submitted"},
        {"state": "draft"},
        {"community_id": community, "programme_id": programme, "state": "submitted", "limit": "200"},
    ]
    for query in fast_queries:
        r = await both_paths("GET", f"{API}/public/proposals", params=query)
        assert r.fast and r.answer.status_code == 200, query
    assert [
        len(r.json()["items"])
        for r in [(await both_paths("GET", f"{API}/public/proposals", params=q)).answer for q in fast_queries[1:3]]
    ] == [3, 2]
    route_queries = [
        ({"community_id": community.upper()}, 200),
        ({"community_id": community, "limit": "02"}, 200),
        ({"limit": "0"}, 422),
        ({"limit": "201"}, 422),
        ({"offset": "-1"}, 422),
        ({"state": "nonsense"}, 422),
        ({"community_id": "nonsense"}, 422),
        ({"other": "1"}, 200),
        ([("limit", "1"), ("limit", "2")], 200),
    ]
    for query, status in route_queries:
        r = await both_paths("GET", f"{API}/public/proposals", params=query)
        assert r.answer.status_code == status and not r.fast, query


@pytest.mark.postgres_only
async def test_first_ballots_arriving_together_share_one_transaction(client, session, app, pw, monkeypatch):
    """On PostgreSQL first ballots arriving together are stored by one write (app.voting.fast's group commit);
    a household's second ballot in the same batch does not go in and is refused by the route's rules."""
    from sqlalchemy import func, select

    from app.audit.models import AuditEvent
    from app.voting import ballots_service
    from app.voting.models import Ballot, VoteMark

    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [1_000_000, 800_000, 700_000])
    assert (await import_roll(client, h, pw.tree.community_a1.id, roll_csv(ROWS))).status_code == 200
    rnd = (await create_round(client, h, pw.world.pilot_a1["id"], proposals)).json()
    voters = [
        await resident(session, app, pw.tree.community_a1, phone)
        for phone in ("13800000003", "13800000001", "13800000002")
    ]
    sizes: list[int] = []
    store = ballots_service.store_planned

    async def spy(conn, planned):
        sizes.append(len(planned))
        if len(sizes) == 1:
            await asyncio.sleep(0.3)  # the others arrive while the first batch is stored: they share the next
        return await store(conn, planned)

    monkeypatch.setattr(ballots_service, "store_planned", spy)
    answers = await asyncio.gather(
        *(client.post(f"{API}/voting/rounds/{rnd['id']}/ballots", headers=v.h, json={"choices": [1]}) for v in voters)
    )
    assert sum(sizes) == 3 and max(sizes) > 1
    assert answers[0].status_code == 201 and sorted(a.status_code for a in answers[1:]) == [201, 409]
    assert next(a for a in answers if a.status_code == 409).json()["code"] == "household_already_voted"
    counts = [await session.scalar(select(func.count()).select_from(t)) for t in (Ballot, VoteMark)]
    events = await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "ballot.cast")
    )
    assert counts == [2, 2] and events == 2


@pytest.mark.postgres_only
async def test_changes_of_ballot_go_through_the_batch(client, session, app, pw, monkeypatch):
    """On PostgreSQL a change of ballot is stored by the group commit too, beside first ballots; a voter's second
    change in the same batch, and a household's second ballot, are left to the service's transaction."""
    from sqlalchemy import func, select

    from app.audit.models import AuditEvent
    from app.voting import ballots_service
    from app.voting.models import BallotHistory

    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [1_000_000, 800_000, 700_000])
    assert (await import_roll(client, h, pw.tree.community_a1.id, roll_csv(ROWS))).status_code == 200
    rnd = (await create_round(client, h, pw.world.pilot_a1["id"], proposals)).json()
    a, b, c = [await resident(session, app, pw.tree.community_a1, phone) for phone, *_ in ROWS]
    batches: list[list[bool]] = []
    store = ballots_service.store_planned

    async def spy(conn, planned):
        batches.append([p.voted for p in planned])
        if len(batches) == 3:
            await asyncio.sleep(0.3)  # the rest arrive while this batch is stored: they share the next
        return await store(conn, planned)

    monkeypatch.setattr(ballots_service, "store_planned", spy)
    url = f"{API}/voting/rounds/{rnd['id']}/ballots"
    answered = spy_on_fast_lane(app)
    first = await client.post(url, headers=a.h, json={"choices": [1]})
    household = await client.post(url, headers=b.h, json={"choices": [3]})
    assert first.status_code == 201 and household.status_code == 409
    assert household.json()["code"] == "household_already_voted"
    answers = await asyncio.gather(
        client.post(url, headers=a.h, json={"choices": [2]}),
        client.post(url, headers=a.h, json={"choices": [3]}),
        client.post(url, headers=c.h, json={"choices": [1]}),
        client.post(url, headers=a.h, json={"choices": [2, 3]}),
    )
    assert [r.status_code for r in answers] == [201] * 4
    assert sorted(r.json()["version"] for r in answers if r.json()["version"] > 1) == [2, 3, 4]
    # a's first ballot, b's (refused: not stored), then one of the four alone and the other three together.
    assert batches[:2] == [[False], [False]] and [len(batch) for batch in batches[2:]] == [1, 3]
    assert sorted(batches[2] + batches[3]) == [False, True, True, True]
    assert [fast for _, fast in answered] == [True, False, True, True, True, True]
    mine = (await client.get(f"{API}/voting/rounds/{rnd['id']}/my-ballot", headers=a.h)).json()
    assert mine["ballot"]["version"] == 4 and mine["earlier_versions"] == 3
    history = await session.scalar(select(func.count()).select_from(BallotHistory))
    changes = await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "ballot.change")
    )
    assert (history, changes) == (3, 3)
