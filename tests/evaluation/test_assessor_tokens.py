"""Third-party assessors machine to machine: API tokens bound to one campaign reach that campaign and nothing else."""

from app.auth.models import ApiToken
from app.evaluation.models import Score
from tests.evaluation.helpers import EV, assign, full_score, issue_token, make_eworld, score_url, window
from tests.programmes.helpers import API, create_programme, designate, ok, problem
from tests.proposals.helpers import count


async def second_campaign(client, ew) -> dict:
    """The district's 2026 programme (opened with its pilots) and its evaluation campaign, with no projects yet."""
    h, tree = ew.h, ew.pw.tree
    programme = await create_programme(client, h["district"], tree.district.id, year=2026)
    await designate(client, h["street_a"], programme["id"], tree.community_a1.id)
    await designate(client, h["street_b"], programme["id"], tree.community_b1.id)
    ok(await client.post(f"{API}/programmes/{programme['id']}/open", headers=h["district"]))
    return ok(
        await client.post(
            f"{EV}/campaigns",
            headers=h["district"],
            json={"programme_id": programme["id"], "title": "2026年度评估", "rubric_id": ew.rubric["id"], **window()},
        ),
        201,
    )


async def test_a_campaign_token_scores_for_its_organisation(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p2, assessor = ew.projects["p2"], ew.orgs["assessor"]
    ok(await assign(client, ew, [p2], organisation=assessor), 201)
    token = await issue_token(client, ew, assessor, ew.cid)
    listed = ok(await client.get(f"{EV}/campaigns", headers=token))
    assert [c["id"] for c in listed["items"]] == [ew.cid]
    assert ok(await client.get(f"{EV}/campaigns/{ew.cid}", headers=token))["rubric_version"] == 1
    mine = ok(await client.get(f"{EV}/campaigns/{ew.cid}/my-assignments", headers=token))
    assert [(i["proposal_id"], i["source"], i["progress"]) for i in mine["items"]] == [(p2, "third_party", "missing")]
    submitted = ok(
        await client.post(
            score_url(ew.cid, p2, submit=True), headers={**token, "Idempotency-Key": "a1"}, json=full_score()
        )
    )
    assert submitted["source"] == "third_party" and submitted["version"] == 1
    # The organisation's own staff (an assessor user) see and amend the same score.
    seen = ok(await client.get(score_url(ew.cid, p2), headers=ew.h["assessor_user"]))
    assert seen["version"] == 1
    ok(
        await client.post(
            score_url(ew.cid, p2, submit=True), headers=ew.h["assessor_user"], json=full_score({"team": 10})
        )
    )
    problem(
        await client.post(score_url(ew.cid, ew.projects["p1"], submit=True), headers=token, json=full_score()),
        403,
        "not_assigned",
    )


async def test_a_token_for_one_campaign_cannot_read_or_write_another(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    p2, assessor = ew.projects["p2"], ew.orgs["assessor"]
    ok(await assign(client, ew, [p2], organisation=assessor), 201)
    other = await second_campaign(client, ew)
    token_a = await issue_token(client, ew, assessor, ew.cid)
    token_b = await issue_token(client, ew, assessor, other["id"])

    for token, campaign_id in ((token_a, other["id"]), (token_b, ew.cid)):
        for method, url, body in (
            ("GET", f"{EV}/campaigns/{campaign_id}", None),
            ("GET", f"{EV}/campaigns/{campaign_id}/my-assignments", None),
            ("GET", score_url(campaign_id, p2), None),
            ("PUT", score_url(campaign_id, p2), full_score()),
            ("POST", score_url(campaign_id, p2, submit=True), full_score()),
        ):
            r = await client.request(method, url, headers=token, json=body)
            refused = problem(r, 403, "token_out_of_scope")
            assert refused["token_campaign_id"] != campaign_id
    assert await count(session, Score) == 0
    assert [c["id"] for c in ok(await client.get(f"{EV}/campaigns", headers=token_b))["items"]] == [other["id"]]

    # Scopes still count: a read-only token cannot submit, even for its own campaign.
    read_only = await issue_token(client, ew, assessor, ew.cid, scopes=("assessments:read",))
    problem(
        await client.post(score_url(ew.cid, p2, submit=True), headers=read_only, json=full_score()),
        403,
        "scope_forbidden",
    )
    ok(await client.get(f"{EV}/campaigns/{ew.cid}/my-assignments", headers=read_only))
    # Tokens never reach district views.
    problem(await client.get(f"{EV}/campaigns/{ew.cid}/progress", headers=token_a), 403, "role_forbidden")
    assert await count(session, Score) == 0


async def test_a_token_is_bound_only_to_a_campaign_that_exists_in_the_issuer_district(client, session, app, pw):
    ew = await make_eworld(client, session, app, pw)
    body = {"organisation_id": str(ew.orgs["assessor"].id), "name": "评估接口", "scopes": ["assessments:write"]}
    problem(
        await client.post(
            f"{API}/api-tokens",
            headers=ew.h["district"],
            json={**body, "campaign_id": "00000000-0000-4000-8000-000000000000"},
        ),
        422,
        "unknown_campaign",
    )
    # assessor is seated in our district, assessor2 nowhere (cross-district: administrators only, issue 24).
    problem(
        await client.post(f"{API}/api-tokens", headers=ew.h["other_district"], json={**body, "campaign_id": ew.cid}),
        403,
        "out_of_region",
    )
    problem(
        await client.post(
            f"{API}/api-tokens",
            headers=ew.h["district"],
            json={**body, "organisation_id": str(ew.orgs["assessor2"].id)},
        ),
        403,
        "organisation_without_region",
    )
    assert await count(session, ApiToken) == 0
    issued = ok(
        await client.post(f"{API}/api-tokens", headers=ew.h["district"], json={**body, "campaign_id": ew.cid}), 201
    )
    assert issued["campaign_id"] == ew.cid
    me = ok(await client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {issued['token']}"}))
    assert me["campaign_id"] == ew.cid
