"""OWASP API3:2023 Broken Object Property Level Authorization (mass assignment, excessive exposure).

Unknown or read-only fields on writes are refused with 422 and change nothing. Already covered: the
error shape of an unknown field (tests/test_errors.py), the public proposal view without personal data
(tests/proposals/test_access.py), phones shown masked (tests/voting/test_roll.py).
"""

import uuid

import pytest
from sqlalchemy import func, select

from app.proposals.models import Proposal
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import body, create
from tests.security.openapi_walk import operations, resolve, spec

# Providers' callbacks: their documented payloads carry fields we do not read, and refusing one would lose
# a delivery receipt; they change only the status of a message the provider itself names.
PROVIDER_CALLBACKS = {"POST /api/v1/sms/receipts/aliyun", "POST /api/v1/sms/receipts/tencent"}


def test_every_json_request_body_refuses_unknown_fields(tmp_path):
    doc = spec(tmp_path)
    open_bodies = []
    for method, path, op in operations(doc):
        if f"{method} {path}" in PROVIDER_CALLBACKS:
            continue
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            schema = resolve(doc, content["application/json"]["schema"])
            if schema.get("additionalProperties") is not False:
                open_bodies.append(f"{method} {path}")
    assert not open_bodies, "JSON bodies that accept unknown fields (derive them from WriteModel):\n" + "\n".join(
        open_bodies
    )


def _validation(r, field: str) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "validation_error"
    assert any(e["loc"][-1] == field and e["type"] == "extra_forbidden" for e in body["errors"]), body


@pytest.mark.parametrize(
    "field, value",
    [
        ("state", "approved"),
        ("proposer_user_id", "6f1c0d4e-0000-4000-8000-000000000001"),
        ("total_fen", 1),
        ("id", "6f1c0d4e-0000-4000-8000-000000000002"),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("region_path", "/"),
    ],
)
async def test_read_only_proposal_fields_cannot_be_written(client, session, pw, field, value):
    h = pw.h["resident"]
    _validation(
        await client.post(f"{API}/proposals", headers=h, json={**body(pw.tree.community_a1.id), field: value}), field
    )
    assert await session.scalar(select(func.count()).select_from(Proposal)) == 0
    p = await create(client, h, pw.tree.community_a1.id)
    _validation(
        await client.patch(f"{API}/proposals/{p['id']}", headers=h, json={"title": "新标题", field: value}), field
    )
    after = ok(await client.get(f"{API}/proposals/{p['id']}", headers=h))
    assert after == p  # not even the valid part of the refused request was applied


async def test_a_ballot_cannot_name_its_voter_or_version(client, session, app, pw):
    from tests.voting.helpers import create_round, import_roll, resident, roll_csv, shortlist

    h = pw.h["staff_a1"]
    proposals = await shortlist(client, pw, [500_000, 600_000])
    ok(await import_roll(client, h, pw.tree.community_a1.id, roll_csv([("13800000001", "张三", "", "")])))
    rnd = ok(await create_round(client, h, pw.world.pilot_a1["id"], proposals), 201)
    voter = await resident(session, app, pw.tree.community_a1, "13800000001")
    url = f"{API}/voting/rounds/{rnd['id']}/ballots"
    for field, value in (
        ("voter_user_id", str(uuid.uuid4())),
        ("version", 99),
        ("channel", "paper"),
        ("roll_entry_id", str(uuid.uuid4())),
    ):
        _validation(await client.post(url, headers=voter.h, json={"choices": [1], field: value}), field)
    mine = ok(await client.get(f"{API}/voting/rounds/{rnd['id']}/my-ballot", headers=voter.h))
    assert mine["ballot"] is None


async def test_staff_cannot_change_a_users_role_or_username(client, pw):
    target = pw.users["resident2"]
    for field, value in (("username", "root"), ("password_hash", "x"), ("phone", "13800000000")):
        _validation(
            await client.patch(f"{API}/users/{target.id}", headers=pw.h["district"], json={field: value}), field
        )
    # role is a field of PATCH /users since issue 24, decided by the service: nobody makes admins but admins,
    # and a resident (who logs in by phone) stays a resident.
    problem(
        await client.patch(f"{API}/users/{target.id}", headers=pw.h["district"], json={"role": "admin"}),
        403,
        "role_not_assignable",
    )
    problem(
        await client.patch(f"{API}/users/{target.id}", headers=pw.h["district"], json={"role": "street_admin"}),
        422,
        "resident_role",
    )
    assert ok(await client.get(f"{API}/users/{target.id}", headers=pw.h["district"]))["role"] == "resident"
