"""Resident satisfaction: residents on the community's roll rate each completed project once, during the campaign;
the public sees aggregates, never who rated what."""

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.evaluation.models import SatisfactionRating
from tests.evaluation.helpers import EV, end_campaign, make_eworld, set_window
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import count
from tests.voting.helpers import resident


async def on_roll(client, session, app, ew, phone: str, name: str = "评价居民"):
    """A resident of community a1 whose phone staff put on its roll."""
    ok(
        await client.post(
            f"{API}/communities/{ew.pw.tree.community_a1.id}/voter-roll",
            headers=ew.h["staff_a1"],
            json={"phone": phone, "name": name},
        ),
        201,
    )
    return await resident(session, app, ew.pw.tree.community_a1, phone, name)


def rate_url(ew, project: str) -> str:
    return f"{EV}/campaigns/{ew.cid}/projects/{ew.projects[project]}/satisfaction"


async def test_residents_on_the_roll_rate_once_and_the_public_sees_aggregates(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    voters = [await on_roll(client, session, app, ew, f"1391111{i:04d}") for i in range(3)]
    mine = ok(await client.get(f"{EV}/campaigns/{ew.cid}/my-satisfaction", headers=voters[0].h))
    assert mine["phase"] == "open"
    assert {p["proposal_id"] for p in mine["projects"]} == {ew.projects["p1"], ew.projects["p2"]}
    assert all(p["my_rating"] is None for p in mine["projects"])

    rated = ok(await client.post(rate_url(ew, "p2"), headers=voters[0].h, json={"rating": 5, "comment": "灯很亮"}), 201)
    assert rated["rating"] == 5 and rated["proposal_id"] == ew.projects["p2"]
    for voter, rating in zip(voters[1:], (4, 2), strict=True):
        ok(await client.post(rate_url(ew, "p2"), headers=voter.h, json={"rating": rating}), 201)
    problem(await client.post(rate_url(ew, "p2"), headers=voters[0].h, json={"rating": 1}), 409, "already_rated")
    assert await count(session, SatisfactionRating) == 3
    mine = ok(await client.get(f"{EV}/campaigns/{ew.cid}/my-satisfaction", headers=voters[0].h))
    assert {p["proposal_id"]: (p["my_rating"] or {}).get("rating") for p in mine["projects"]} == {
        ew.projects["p2"]: 5,
        ew.projects["p1"]: None,
    }

    public_url = f"{API}/public/evaluation/campaigns/{ew.cid}/satisfaction"
    public = ok(await client.get(public_url))
    # Three ratings are fewer than one batch (10 by default): nothing is shown yet.
    assert {(p["ratings"], p["mean"], p["batch"]) for p in public["items"]} == {(0, None, 10)}
    # In batches of two, the figures cover the first two ratings (5 and 4); the third (2) waits for its batch,
    # so reading the mean before and after it says nothing about it.
    app.state.settings.satisfaction_public_batch = 2
    public = ok(await client.get(public_url))
    by_project = {p["proposal_id"]: p for p in public["items"]}
    assert by_project[ew.projects["p2"]] | {"title": None} == {
        "proposal_id": ew.projects["p2"],
        "title": None,
        "community_id": str(ew.pw.tree.community_a1.id),
        "ratings": 2,
        "mean": 4.5,
        "satisfied_pct": 100.0,
        "below_floor": False,
        "batch": 2,
    }
    assert by_project[ew.projects["p1"]]["ratings"] == 0 and by_project[ew.projects["p1"]]["mean"] is None
    assert "roll_entry_id" not in public["items"][0] and "comment" not in public["items"][0]
    campaigns = ok(await client.get(f"{API}/public/evaluation/campaigns"))
    assert campaigns["items"][0]["id"] == ew.cid and campaigns["items"][0]["phase"] == "open"
    # Staff read counts in the progress view; the audit trail says a rating happened, not what it was.
    progress = ok(await client.get(f"{EV}/campaigns/{ew.cid}/progress", headers=ew.h["district"]))
    assert progress["satisfaction"] == {"ratings": 3, "projects_rated": 1, "projects": 2}
    events = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "satisfaction.rate"))).all()
    await session.commit()
    assert len(events) == 3 and all("rating" not in e.after for e in events)


async def test_non_residents_second_ratings_and_closed_campaigns_are_refused(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    voter = await on_roll(client, session, app, ew, "13922220001")
    stranger = await resident(session, app, ew.pw.tree.community_a1, "13922220002")  # not on the roll
    problem(await client.post(rate_url(ew, "p2"), headers=stranger.h, json={"rating": 4}), 403, "not_on_roll")
    problem(await client.post(rate_url(ew, "p2"), headers=ew.h["resident_b1"], json={"rating": 4}), 403, "not_on_roll")
    problem(await client.post(rate_url(ew, "p2"), headers=ew.h["staff_a1"], json={"rating": 4}), 403, "role_forbidden")
    for bad in (0, 6):
        problem(await client.post(rate_url(ew, "p2"), headers=voter.h, json={"rating": bad}), 422, "validation_error")
    problem(
        await client.post(
            f"{EV}/campaigns/{ew.cid}/projects/{ew.projects['p3']}/satisfaction", headers=voter.h, json={"rating": 4}
        ),
        404,
        "project_not_in_campaign",
    )
    assert ok(await client.get(f"{EV}/campaigns/{ew.cid}/my-satisfaction", headers=stranger.h))["projects"] == []
    await set_window(session, ew.cid, 1, 5)
    problem(await client.post(rate_url(ew, "p2"), headers=voter.h, json={"rating": 4}), 409, "campaign_not_open")
    await end_campaign(session, ew.cid)
    problem(await client.post(rate_url(ew, "p2"), headers=voter.h, json={"rating": 4}), 409, "campaign_ended")
    assert await count(session, SatisfactionRating) == 0


async def test_an_idempotency_key_replays_a_rating(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    voter = await on_roll(client, session, app, ew, "13933330001")
    headers = {**voter.h, "Idempotency-Key": "rate-p2"}
    first = await client.post(rate_url(ew, "p2"), headers=headers, json={"rating": 4})
    again = await client.post(rate_url(ew, "p2"), headers=headers, json={"rating": 4})
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert await count(session, SatisfactionRating) == 1
