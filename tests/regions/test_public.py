"""The public picker list: no login, names and levels only."""

import uuid

URL = "/api/v1/public/regions"


async def test_public_list_without_login(client, tree):
    r = await client.get(URL)
    assert r.status_code == 200
    assert sorted(i["name"] for i in r.json()["items"]) == ["福田区", "罗湖区"]
    assert set(r.json()["items"][0]) == {"id", "name", "level"}
    r = await client.get(URL, params={"parent_id": str(tree.street_a.id)})
    assert [i["name"] for i in r.json()["items"]] == sorted(["彩田社区", "景华社区"])
    assert all(i["level"] == "community" for i in r.json()["items"])
    r = await client.get(URL, params={"parent_id": str(tree.community_a1.id)})
    assert r.json()["items"] == [{"id": str(tree.compound_a1.id), "name": "彩田村小区", "level": "compound"}]


async def test_public_list_pages_and_unknown_parent(client, tree):
    r = await client.get(URL, params={"parent_id": str(tree.district.id), "limit": 1})
    assert r.json()["total"] == 2 and len(r.json()["items"]) == 1
    r = await client.get(URL, params={"parent_id": str(uuid.uuid4())})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
