"""Logs: one JSON object per line, each request's line with its id, route template, status and duration; phone
numbers and credentials masked whatever a message held. (tests/conftest.py scans the whole suite's logs.)"""

import io
import json
import logging

from app.ops.logs import json_handler, redact
from tests.programmes.helpers import API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_phones_and_tokens_are_masked_and_ids_left_alone():
    text = redact(f"手机13800138000、138 0013 8000 Bearer {JWT} wst_abcDEF123456 id 5f13800138000aa")
    assert "13800138000" not in text.replace("5f13800138000aa", "") and "138****8000" in text
    assert JWT not in text and "wst_abcDEF123456" not in text and "5f13800138000aa" in text


async def test_each_request_is_one_json_line_with_its_id_route_status_and_duration(client):
    stream = io.StringIO()
    handler = json_handler(stream)
    logging.getLogger().addHandler(handler)
    try:
        r = await client.get(f"{API}/public/regions/{'0' * 8}", headers={"X-Request-ID": "scan-test-0001"})
        await client.post(f"{API}/auth/otp/request", json={"phone": "13800138000"})
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    mine = [line for line in lines if line.get("request_id") == "scan-test-0001" and line["logger"] == "weishi.access"]
    assert len(mine) == 1, lines
    assert (mine[0]["route"], mine[0]["status"], mine[0]["method"]) == ("unmatched", r.status_code, "GET")
    assert mine[0]["duration_ms"] >= 0 and mine[0]["time"] and mine[0]["level"] == "INFO"
    otp = [line for line in lines if line.get("route") == "/api/v1/auth/otp/request"]
    assert len(otp) == 1 and otp[0]["status"] in (202, 200) and otp[0]["request_id"]
    assert "13800138000" not in stream.getvalue()
