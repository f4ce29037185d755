"""OWASP API5:2023 Broken Function Level Authorization: residents and evaluators call no staff or finance
operation, and a refused call changes nothing.

tests/test_access_matrix.py walks every route as every role against a written decision (EXPECTED); this
test takes from it every write that neither residents nor evaluators may call and checks, with a
realistic body as well as an empty one, that each is refused with 403 `role_forbidden` and leaves no audit
event (every state change writes one) and no ledger entry behind.
"""

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.funds.models import LedgerEntry
from tests.factories import user_for
from tests.test_access_matrix import EXPECTED, _resources, _url

WRITES = sorted(
    (m, p)
    for (m, p), d in EXPECTED.items()
    if m in {"POST", "PUT", "PATCH", "DELETE"}
    and d.roles is not None
    and not d.allows(Role.resident)
    and not d.allows(Role.evaluator)
    and d.denied_status == 403
)
# Bodies that would pass validation on the finance and staff writes an attacker would most want.
PLAUSIBLE = {
    "amount_fen": 3_000_000,
    "note": "x",
    "reason": "x",
    "outcome": "upheld",
    "decision": "approve",
    "kind": "subsidy",
    "name": "x",
    "title": "x",
}


async def _counts(session) -> tuple[int, int]:
    return (
        await session.scalar(select(func.count()).select_from(AuditEvent)),
        await session.scalar(select(func.count()).select_from(LedgerEntry)),
    )


async def test_residents_and_evaluators_reach_no_staff_or_finance_operation(client, session, app, tree):
    assert len(WRITES) > 60, "the matrix should list many staff-only writes"
    _, admin = await user_for(session, app, tree, Role.admin)
    callers = {role.value: (await user_for(session, app, tree, role))[1] for role in (Role.resident, Role.evaluator)}
    # Real rows for the routes that load their object before the role gate (see the matrix).
    resources = {
        **await _resources(client, session, app, tree, admin),
        "community_id": str(tree.community_a1.id),
        "region_id": str(tree.community_a1.id),
    }
    before = await _counts(session)
    wrong = []
    for who, headers in callers.items():
        for method, path in WRITES:
            for body in ({}, PLAUSIBLE):
                r = await client.request(method, _url(path, resources), headers=headers, json=body)
                code = r.json().get("code") if r.headers.get("content-type", "").endswith("json") else None
                if (r.status_code, code) != (403, "role_forbidden"):
                    wrong.append(f"{method} {path} as {who}: {r.status_code} {code}")
    assert not wrong, "\n".join(wrong)
    assert await _counts(session) == before
