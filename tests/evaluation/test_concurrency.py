"""Races on PostgreSQL: one score submitted many times at once, one resident rating many times at once."""

import asyncio

import pytest
from sqlalchemy import func, select

from app.evaluation.models import SatisfactionRating, Score, ScoreHistory
from tests.evaluation.helpers import EV, assign, full_score, make_eworld, score_url
from tests.evaluation.test_satisfaction import on_roll
from tests.proposals.helpers import audit_count

pytestmark = pytest.mark.postgres_only


async def test_concurrent_submissions_of_one_score_take_effect_once(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p2 = ew.projects["p2"]
    ok_assign = await assign(client, ew, [p2], evaluator=ew.users["expert"])
    assert ok_assign.status_code == 201
    responses = await asyncio.gather(
        *(client.post(score_url(ew.cid, p2, submit=True), headers=ew.h["expert"], json=full_score()) for _ in range(10))
    )
    assert [r.status_code for r in responses] == [200] * 10
    assert {r.json()["version"] for r in responses} == {1}
    assert await session.scalar(select(func.count()).select_from(Score)) == 1
    assert await session.scalar(select(func.count()).select_from(ScoreHistory)) == 0
    await session.commit()
    assert await audit_count(session, "score.submit") == 1


async def test_concurrent_ratings_by_one_resident_count_once(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    voter = await on_roll(client, session, app, ew, "13944440001")
    url = f"{EV}/campaigns/{ew.cid}/projects/{ew.projects['p2']}/satisfaction"
    responses = await asyncio.gather(
        *(client.post(url, headers=voter.h, json={"rating": 1 + i % 5}) for i in range(10))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 9
    assert all(r.json()["code"] == "already_rated" for r in responses if r.status_code == 409)
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert await session.scalar(select(func.count()).select_from(SatisfactionRating)) == 1
    assert await session.scalar(select(SatisfactionRating.rating)) == winner["rating"]
    await session.commit()
    assert await audit_count(session, "satisfaction.rate") == 1
