"""OWASP API4:2023 Unrestricted Resource Consumption: lists, bodies, fields, uploads and rates are bounded.

Already covered elsewhere: JSON bodies over WEISHI_MAX_JSON_BODY_BYTES get 413 before parsing, also when
streamed without Content-Length, and JSON nested over 32 levels gets 400 (tests/test_errors.py); uploads
over the limit get 413 and store nothing (tests/proposals/test_attachments.py, tests/whatif/test_what_if.py,
which also bounds the allocation's size, CPU time and concurrency); login, code and public-write rates get
429 with Retry-After (tests/auth/test_rate_limits.py, tests/auth/test_otp.py, tests/notices/).
"""

import pytest

from tests.security.openapi_walk import leaves, operations, spec

# Declared unbounded in the schema but bounded elsewhere, each for a stated reason.
BOUNDED_ELSEWHERE = {
    ".file": "multipart uploads: the body limit (WEISHI_MAX_UPLOAD_BYTES) answers 413 before parsing",
    "Idempotency-Key": "parsed by app.idempotency.rules.parse_key: 1-255 printable characters, else 400",
    "EvaluationWeights-Input.": "a Decimal given as a string: parsed, then its 0..1 bounds apply",
    "voter_budget_increment": "a multipart form field parsed as a Decimal with bounds (tests/whatif)",
}


def _excused(where: str) -> bool:
    return any(key in where for key in BOUNDED_ELSEWHERE)


def test_every_list_has_a_maximum_page_size(tmp_path):
    doc = spec(tmp_path)
    unbounded = [
        f"{m} {p}"
        for m, p, op in operations(doc)
        for prm in op.get("parameters", [])
        if prm["name"] == "limit" and "maximum" not in prm["schema"]
    ]
    assert not unbounded, "list operations whose `limit` has no maximum:\n" + "\n".join(unbounded)


def test_every_input_field_is_bounded(tmp_path):
    """Strings have a length (or a format, pattern or enum), arrays a size, numbers both ends."""
    doc = spec(tmp_path)
    problems = []
    for method, path, op in operations(doc):
        inputs = [
            (f"{method} {path} {prm['name']}", prm["schema"]) for prm in op.get("parameters", []) if prm["in"] != "path"
        ]
        content = op.get("requestBody", {}).get("content", {})
        inputs += [(f"{method} {path} body", c["schema"]) for c in content.values()]
        for where, schema in inputs:
            for leaf_where, leaf in leaves(doc, schema, where):
                kind = leaf.get("type")
                label = f"{where} :: {leaf_where}"
                if _excused(label):
                    continue
                if kind == "string" and not {"maxLength", "format", "pattern", "enum", "const"} & set(leaf):
                    problems.append(f"{label}: string without maxLength")
                elif kind == "array" and "maxItems" not in leaf:
                    problems.append(f"{label}: array without maxItems")
                elif kind in ("integer", "number") and not (
                    {"maximum", "exclusiveMaximum"} & set(leaf) and {"minimum", "exclusiveMinimum"} & set(leaf)
                ):
                    problems.append(f"{label}: number without both bounds")
    assert not problems, "unbounded inputs:\n" + "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("limit", ["0", "1000000", "-1", "99999999999999999999"])
async def test_oversized_pages_are_refused(client, pw, limit):
    for url in ("/api/v1/public/notices", "/api/v1/public/proposals", "/api/v1/voting/rounds"):
        r = await client.get(url, params={"limit": limit}, headers=pw.h["district"])
        assert r.status_code == 422 and r.json()["code"] == "validation_error", (url, r.text)
