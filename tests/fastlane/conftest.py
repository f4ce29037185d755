"""The fast lane's comparison fixture: every request down both paths, the answers and the rows compared.

`both_paths(method, url, **httpx_kwargs)` sends the request with the fast lane on, notes every row it wrote
(inserted, updated or deleted, in every table), puts the database back as it was, sends the same request with
the fast lane off (the route answers) and notes its rows. It asserts the same status, content type, nosniff
header and body and the same rows written, after naming the values that differ between any two runs: fresh
UUIDs (the same fresh id gets the same name wherever it appears, so a receipt's ballot_id still matches its
ballot's row), times, request ids, a receipt's random code with its digest, and a stored answer's seal (it is
opened and compared). The route's rows stay; its answer is returned, with whether the fast lane had answered.
"""

import difflib
import json
import pprint
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlmodel import SQLModel

from app.idempotency.service import unseal
from app.voting.rules import receipt_digest
from tests.factories import spy_on_fast_lane

_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
Snapshot = dict[str, dict[tuple, dict[str, Any]]]


async def _snapshot(engine) -> Snapshot:
    out: Snapshot = {}
    async with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            keys = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
            rows = (await conn.execute(select(table))).mappings().all()
            out[table.name] = {tuple(row[k] for k in keys): dict(row) for row in rows}
    return out


def _diff(before: Snapshot, after: Snapshot) -> dict[str, list[tuple[str, dict | None, dict | None]]]:
    out = {}
    for name, rows in after.items():
        old = before[name]
        changes = [("inserted", None, row) for key, row in rows.items() if key not in old]
        changes += [("updated", old[key], row) for key, row in rows.items() if key in old and old[key] != row]
        changes += [("deleted", row, None) for key, row in old.items() if key not in rows]
        if changes:
            out[name] = changes
    return out


async def _restore(engine, before: Snapshot, after: Snapshot) -> None:
    """Undo what happened between the two snapshots."""
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # the audit trail's append-only guard is a trigger: off for the undo
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(SQLModel.metadata.sorted_tables):
            keys = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
            for key in after[table.name].keys() - before[table.name].keys():
                await conn.execute(delete(table).where(*(table.c[k] == v for k, v in zip(keys, key, strict=True))))
        for name, rows in before.items():
            table = tables[name]
            keys = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
            for key, row in rows.items():
                if key not in after[name]:
                    await conn.execute(insert(table).values(**row))
                elif after[name][key] != row:
                    await conn.execute(
                        update(table).where(*(table.c[k] == v for k, v in zip(keys, key, strict=True))).values(**row)
                    )


def _known_ids(snapshot: Snapshot) -> set[uuid.UUID]:
    return {
        value
        for rows in snapshot.values()
        for row in rows.values()
        for value in row.values()
        if isinstance(value, uuid.UUID)
    }


class _Names:
    """Names for the values that differ between two runs of one request."""

    def __init__(self, known: set[uuid.UUID], answer: httpx.Response, settings: Any, one_name: bool = False) -> None:
        self.known, self.fresh, self.one_name, self.settings = known, {}, one_name, settings
        self.texts = {answer.headers.get("x-request-id", "-"): "<request id>"}
        body = answer.json() if answer.headers.get("content-type", "").endswith("json") else None
        if isinstance(body, dict) and isinstance(body.get("receipt_code"), str):
            code = body["receipt_code"]
            self.texts |= {code: "<receipt code>", receipt_digest(code): "<receipt digest>"}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        if isinstance(value, datetime | date):
            return "<time>"
        if isinstance(value, str):
            if value in self.texts:
                return self.texts[value]
            if _TIME.match(value):
                return "<time>"
            if value.startswith("sealed:"):  # a stored answer (Idempotency-Key), sealed with a random nonce
                return {"sealed": self(json.loads(unseal(self.settings, value)))}
            if len(value) == 36:
                try:
                    value = uuid.UUID(value)
                except ValueError:
                    return value
            else:
                return value
        if isinstance(value, uuid.UUID):
            if value in self.known:
                return str(value)
            if self.one_name:
                return "<new id>"
            return self.fresh.setdefault(value, f"<new id {len(self.fresh) + 1}>")
        return value


def _named(answer: httpx.Response, diff: dict, known: set[uuid.UUID], settings: Any) -> tuple:
    """Status, content type, body and rows written, with the values that differ between runs named."""
    name, blank = _Names(known, answer, settings), _Names(known, answer, settings, one_name=True)
    try:
        body = name(answer.json())
    except ValueError:
        body = answer.content
    # Fresh ids are named in an order both runs share: the body's first, then the rows' sorted without them.
    rows = {
        table: [name(change) for change in sorted(diff[table], key=lambda change: repr(blank(change)))]
        for table in sorted(diff)
    }
    return (
        answer.status_code,
        answer.headers.get("content-type"),
        answer.headers.get("x-content-type-options"),
        body,
        rows,
    )


@dataclass
class Compared:
    """The route's answer to a request both paths answered alike, and whether the fast lane took it."""

    answer: httpx.Response
    fast: bool


@pytest.fixture
def both_paths(app, client):
    answered = spy_on_fast_lane(app)
    engine = app.state.engine

    async def send(method: str, url: str, **kwargs: Any) -> Compared:
        before = await _snapshot(engine)
        known = _known_ids(before)
        answered.clear()
        app.state.fast_lane = True
        fast = await client.request(method, url, **kwargs)
        took = any(ok for _, ok in answered)
        middle = await _snapshot(engine)
        fast_rows = _diff(before, middle)
        await _restore(engine, before, middle)
        assert _diff(before, await _snapshot(engine)) == {}
        app.state.fast_lane = False
        try:
            routed = await client.request(method, url, **kwargs)
        finally:
            app.state.fast_lane = True
        route_rows = _diff(before, await _snapshot(engine))
        by_fast, by_route = (
            _named(fast, fast_rows, known, app.state.settings),
            _named(routed, route_rows, known, app.state.settings),
        )
        assert by_fast == by_route, "\n".join(
            [
                f"{method} {url}: the fast lane (-) and the route (+) differ",
                *(
                    difflib.unified_diff(
                        pprint.pformat(by_fast).splitlines(), pprint.pformat(by_route).splitlines(), lineterm="", n=1
                    )
                ),
            ]
        )
        return Compared(routed, took)

    return send
