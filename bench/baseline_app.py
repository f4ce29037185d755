"""The practical ceiling of this machine: the same stack (uvicorn, FastAPI) with raw asyncpg and no more.

`POST /ballots` inserts one ballot row under a unique constraint (a second ballot of a voter replaces the
first, as the service's change of ballot does); `GET /projects/{id}` reads one project row. Run by
bench/load_run.py with N workers under the service's own supervisor (app/core/serving.py, a listening socket
per worker) with BASELINE_DSN set; it creates its two tables and 10,000 project rows on start if they are
missing.
"""

import json
import os
import uuid
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

SCHEMA = """
CREATE TABLE IF NOT EXISTS baseline_ballot (
    id uuid PRIMARY KEY, round_id uuid NOT NULL, voter_key text NOT NULL UNIQUE, choices jsonb NOT NULL,
    cast_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS baseline_project (id uuid PRIMARY KEY, title text NOT NULL, cost_fen bigint NOT NULL);
"""


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.pool = await asyncpg.create_pool(os.environ["BASELINE_DSN"], min_size=2, max_size=10)
    async with app.state.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(20261123)")  # workers start together
        await conn.execute(SCHEMA)
        if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM baseline_project)"):
            await conn.executemany(
                "INSERT INTO baseline_project VALUES ($1, $2, $3)",
                [(uuid.UUID(int=i + 1), f"项目{i}", 100_000 + i) for i in range(10_000)],
            )
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


class Ballot(BaseModel):
    round_id: uuid.UUID
    voter: str = Field(min_length=1, max_length=64)
    choices: list[int] = Field(max_length=60)


@app.post("/ballots", status_code=201)
async def cast(ballot: Ballot, request: Request) -> dict:
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow(
            "INSERT INTO baseline_ballot (id, round_id, voter_key, choices) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (voter_key) DO UPDATE SET choices = EXCLUDED.choices, cast_at = now() RETURNING id",
            uuid.uuid4(),
            ballot.round_id,
            ballot.voter,
            json.dumps(ballot.choices),
        )
    return {"id": str(row["id"])}


@app.get("/projects/{project_id}")
async def project(project_id: uuid.UUID, request: Request) -> dict:
    async with request.app.state.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT id, title, cost_fen FROM baseline_project WHERE id = $1", project_id)
    if row is None:
        raise HTTPException(404)
    return {"id": str(row["id"]), "title": row["title"], "cost_fen": row["cost_fen"]}
