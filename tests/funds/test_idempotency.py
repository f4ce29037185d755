"""Idempotency-Key on the money writes: a retried request moves the money once and answers as the first did."""

import uuid

from sqlalchemy import func, select

from app.funds.models import LedgerEntry
from app.idempotency.models import IdempotencyRecord
from tests.programmes.helpers import API, YEAR, audit_count, balance, commit, ledger_count, ok, problem

COMMITMENT = {
    "project_title": "楼道微改造",
    "category": "environment",
    "project_type": "services",
    "amount_fen": 1_200_000,
    "entry_date": f"{YEAR}-04-01",
    "decision_document_ref": "福民〔2025〕8号",
}
MOVEMENT = {"amount_fen": 400_000, "entry_date": f"{YEAR}-05-01"}


def keyed(h: dict[str, str], key: str) -> dict[str, str]:
    return {**h, "Idempotency-Key": key}


async def entries_of(session, kind: str) -> int:
    """Ledger entries of one kind (read fresh)."""
    n = await session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == kind))
    await session.commit()
    return n


async def record_count(session) -> int:
    """Stored Idempotency-Key records (read fresh)."""
    n = await session.scalar(select(func.count()).select_from(IdempotencyRecord))
    await session.commit()
    return n


def assert_replay(first, again) -> None:
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["idempotent-replayed"] == "true"


async def test_a_retried_commitment_commits_once(client, world, session):
    h, pilot = world.h["district"], world.pilot_a1["id"]
    before = await balance(client, h, pilot)
    entries = await ledger_count(session)
    url, body = f"{API}/pilots/{pilot}/commitments", {**COMMITMENT, "project_id": str(uuid.uuid4())}

    first = await client.post(url, json=body, headers=keyed(h, "commit-1"))
    again = await client.post(url, json=body, headers=keyed(h, "commit-1"))

    assert_replay(first, again)
    assert first.json()["kind"] == "commitment" and first.json()["amount_fen"] == 1_200_000
    assert await ledger_count(session) == entries + 1
    assert await entries_of(session, "commitment") == 1
    assert await audit_count(session, "ledger.commitment") == 1
    after = await balance(client, h, pilot)
    assert after["committed_fen"] == before["committed_fen"] + 1_200_000
    assert after["available_fen"] == before["available_fen"] - 1_200_000
    project = ok(await client.get(f"{API}/funds/projects/{body['project_id']}", headers=h))
    assert project["committed_fen"] == 1_200_000


async def test_a_commitment_key_reused_for_another_body_is_422(client, world, session):
    h, pilot = world.h["district"], world.pilot_a1["id"]
    url, body = f"{API}/pilots/{pilot}/commitments", {**COMMITMENT, "project_id": str(uuid.uuid4())}
    ok(await client.post(url, json=body, headers=keyed(h, "commit-1")), 201)
    entries, before = await ledger_count(session), await balance(client, h, pilot)

    problem(
        await client.post(url, json={**body, "amount_fen": 1_300_000}, headers=keyed(h, "commit-1")),
        422,
        "idempotency_key_reused",
    )
    # The same body to another pilot is another request as well.
    problem(
        await client.post(f"{API}/pilots/{world.pilot_b1['id']}/commitments", json=body, headers=keyed(h, "commit-1")),
        422,
        "idempotency_key_reused",
    )
    assert await ledger_count(session) == entries
    assert await balance(client, h, pilot) == before


async def test_a_refused_commitment_leaves_the_key_free_for_a_corrected_retry(client, world, session):
    h, pilot = world.h["district"], world.pilot_a1["id"]
    available = (await balance(client, h, pilot))["available_fen"]
    url, body = f"{API}/pilots/{pilot}/commitments", {**COMMITMENT, "project_id": str(uuid.uuid4())}
    entries = await ledger_count(session)

    problem(
        await client.post(url, json={**body, "amount_fen": available + 1}, headers=keyed(h, "commit-1")),
        409,
        "insufficient_funds",
    )
    assert await ledger_count(session) == entries and await record_count(session) == 0
    r = await client.post(url, json=body, headers=keyed(h, "commit-1"))
    assert r.status_code == 201, r.text
    assert await ledger_count(session) == entries + 1


async def test_a_retried_disbursement_pays_once(client, world, session):
    h, pilot, project = world.h, world.pilot_a1["id"], uuid.uuid4()
    ok(await commit(client, h["district"], pilot, 1_200_000, project_id=project), 201)
    before = await balance(client, h["district"], pilot)
    entries = await ledger_count(session)
    url = f"{API}/funds/projects/{project}/disbursements"

    first = await client.post(url, json=MOVEMENT, headers=keyed(h["finance"], "pay-1"))
    again = await client.post(url, json=MOVEMENT, headers=keyed(h["finance"], "pay-1"))

    assert_replay(first, again)
    assert first.json()["kind"] == "disbursement" and first.json()["amount_fen"] == 400_000
    assert await ledger_count(session) == entries + 1
    assert await entries_of(session, "disbursement") == 1
    assert await audit_count(session, "ledger.disbursement") == 1
    after = await balance(client, h["district"], pilot)
    assert after["disbursed_fen"] == before["disbursed_fen"] + 400_000
    project_row = ok(await client.get(f"{API}/funds/projects/{project}", headers=h["district"]))
    assert (project_row["disbursed_fen"], project_row["unspent_fen"]) == (400_000, 800_000)


async def test_a_disbursement_key_reused_for_another_body_is_422(client, world, session):
    h, pilot, project = world.h, world.pilot_a1["id"], uuid.uuid4()
    ok(await commit(client, h["district"], pilot, 1_200_000, project_id=project), 201)
    url = f"{API}/funds/projects/{project}/disbursements"
    ok(await client.post(url, json=MOVEMENT, headers=keyed(h["finance"], "pay-1")), 201)
    entries, before = await ledger_count(session), await balance(client, h["district"], pilot)

    problem(
        await client.post(url, json={**MOVEMENT, "amount_fen": 500_000}, headers=keyed(h["finance"], "pay-1")),
        422,
        "idempotency_key_reused",
    )
    # The same body as a return is another request too.
    problem(
        await client.post(
            f"{API}/funds/projects/{project}/returns", json=MOVEMENT, headers=keyed(h["finance"], "pay-1")
        ),
        422,
        "idempotency_key_reused",
    )
    assert await ledger_count(session) == entries
    assert await balance(client, h["district"], pilot) == before
    assert await entries_of(session, "disbursement") == 1


async def test_the_other_money_writes_replay_too(client, world, session):
    h, pilot, project = world.h, world.pilot_a1["id"], uuid.uuid4()
    ok(await commit(client, h["district"], pilot, 1_200_000, project_id=project), 201)
    source_body = {"kind": "donation", "payer": "张三", "document_ref": "捐赠收据001", "dated": f"{YEAR}-03-12"}
    writes = [
        (h["staff_a1"], f"{API}/pilots/{pilot}/fund-sources", source_body),
        (
            h["district"],
            f"{API}/fund-sources/{world.subsidy_a1['id']}/funds-in",
            {
                "amount_fen": 10_000,
                "entry_date": f"{YEAR}-03-02",
                "supplement": True,
                "document_ref": "福民〔2025〕9号",
            },
        ),
        (h["finance"], f"{API}/funds/projects/{project}/returns", MOVEMENT),
    ]
    entries = await ledger_count(session)
    for i, (headers, url, body) in enumerate(writes):
        first = await client.post(url, json=body, headers=keyed(headers, f"w-{i}"))
        assert_replay(first, await client.post(url, json=body, headers=keyed(headers, f"w-{i}")))
    assert await ledger_count(session) == entries + 2  # a fund source is not a ledger entry
    ret = first.json()
    reversal = {"entry_date": f"{YEAR}-06-01", "reason": "录入错误"}
    url = f"{API}/funds/ledger/{ret['id']}/reversal"
    first = await client.post(url, json=reversal, headers=keyed(h["finance"], "undo-1"))
    assert_replay(first, await client.post(url, json=reversal, headers=keyed(h["finance"], "undo-1")))
    assert await entries_of(session, "reversal") == 1
    assert await audit_count(session, "ledger.return") == 1
    sources = ok(await client.get(f"{API}/pilots/{pilot}/fund-sources", headers=h["district"]))
    assert [s["payer"] for s in sources].count("张三") == 1


async def test_without_a_key_each_request_takes_effect(client, world, session):
    h, pilot, project = world.h, world.pilot_a1["id"], uuid.uuid4()
    ok(await commit(client, h["district"], pilot, 1_200_000, project_id=project), 201)
    url = f"{API}/funds/projects/{project}/disbursements"
    for _ in range(2):
        r = await client.post(url, json=MOVEMENT, headers=h["finance"])
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    assert await entries_of(session, "disbursement") == 2
    assert await record_count(session) == 0
