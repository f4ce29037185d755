"""A city for load and scale runs: 1 district, 30 streets, 600 communities, 500 pilots, 10,000 proposals,
1,000,000 residents on voter rolls, with Chinese place and person names; loaded by COPY.

Run: .venv/bin/python bench/seed_scale.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/weishi_bench
     [--secret-key KEY] [--residents N] [--voters N]

It refuses any database whose name does not start with `weishi_bench` or that already holds a region, so it
can never touch real data. Each pilot has an open voting round over 10 of its 20 proposals; `--voters` of the
residents (default 20,000, spread over the first communities) also have accounts and login sessions, so a
load run can mint their access tokens (`voter_tokens`). Phones are stored as the service stores them (keyed
with --secret-key, which must be the server's). Prints what it loaded and how long each step took.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling bench's helpers

from bench_close_rounds import GIVEN, PHONE_PREFIXES, SURNAMES, TOPICS, copy_rows
from bench_finance_report import _dsn, refuse_unless_named_for_benchmarks

from app.auth.jwt import issue_access_token
from app.auth.secrets import keyed_digest
from app.core.config import Settings
from app.core.migrations import upgrade
from app.programmes.enums import ProjectCategory, ProjectType
from app.programmes.ruleset import ProgrammeRules
from app.regions.rules import child_path

STREETS, COMMUNITIES, PILOTS, PROPOSALS_PER_PILOT, ON_BALLOT = 30, 600, 500, 20, 10
RESIDENTS, VOTERS = 1_000_000, 20_000
YEAR = 2026
STREET_NAMES = (
    "莲塘",
    "东门",
    "翠竹",
    "笋岗",
    "清水河",
    "南湖",
    "桂园",
    "黄贝",
    "东晓",
    "东湖",
    "园岭",
    "沙头",
    "梅林",
    "华富",
    "香蜜湖",
    "莲花",
    "福田",
    "南园",
    "华强北",
    "福保",
    "蛇口",
    "招商",
    "粤海",
    "沙河",
    "西丽",
    "桃源",
    "南头",
    "南山",
    "新安",
    "西乡",
)
COMMUNITY_WORDS = (
    "仙湖",
    "畔山",
    "鹏兴",
    "长岭",
    "坳下",
    "新村",
    "翠湖",
    "桂花",
    "锦绣",
    "丽晶",
    "华林",
    "松园",
    "荔景",
    "怡景",
    "碧波",
    "文锦",
    "渔民",
    "滨河",
    "彩田",
    "景田",
    "上沙",
    "下沙",
    "石厦",
    "皇岗",
)


def _phone(serial: int) -> str:
    return f"{PHONE_PREFIXES[serial % len(PHONE_PREFIXES)]}{serial:08d}"


class City:
    """The rows of the city, generated from one seed; the million roll rows are streamed."""

    def __init__(self, seed: int, secret_key: str, residents: int, voters: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.secret, self.n_residents, self.n_voters = secret_key, residents, voters
        self.now = datetime.now(UTC)
        self.district, self.programme, self.proposer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.communities: list[tuple[uuid.UUID, str]] = []
        self.rounds: dict[uuid.UUID, uuid.UUID] = {}  # community → its open round
        self.projects: list[uuid.UUID] = []
        self.voters: list[tuple] = []  # (user, login session, round, phone digest, name, community)

    def structure(self) -> dict[str, list[tuple]]:
        """Regions, pilots, proposals, open rounds and their ballots' projects."""
        now, rng = self.now, self.rng
        district_path = child_path(None, self.district)
        regions = [(self.district, None, "district", "福田区", district_path, now, now)]
        streets = []
        for s in range(STREETS):
            sid = uuid.uuid4()
            regions.append(
                (sid, self.district, "street", f"{STREET_NAMES[s]}街道", child_path(district_path, sid), now, now)
            )
            streets.append((sid, child_path(district_path, sid)))
        pilots, proposals, rounds, on_ballot = [], [], [], []
        kinds, types = [c.value for c in ProjectCategory], [t.value for t in ProjectType]
        ballot = json.dumps(ProgrammeRules().ballot.model_dump(mode="json"))
        for c in range(COMMUNITIES):
            street, street_path = streets[c % STREETS]
            cid = uuid.uuid4()
            path = child_path(street_path, cid)
            # 20 communities a street, named apart within it.
            name = f"{COMMUNITY_WORDS[(c // STREETS + c % STREETS) % len(COMMUNITY_WORDS)]}社区"
            regions.append((cid, street, "community", name, path, now, now))
            self.communities.append((cid, path))
            if c >= PILOTS:
                continue
            pilot, rid = uuid.uuid4(), uuid.uuid4()
            pilots.append((pilot, self.programme, cid, street, self.district, YEAR, path, now))
            rounds.append(
                (
                    rid,
                    pilot,
                    self.programme,
                    cid,
                    path,
                    f"{YEAR}年民生微实事居民投票",
                    now - timedelta(hours=1),
                    now + timedelta(days=7),
                    3_000_000,
                    ballot,
                    "[]",
                    "scheduled",
                    "bench",
                    now,
                    now,
                )
            )
            self.rounds[cid] = rid
            for number in range(1, PROPOSALS_PER_PILOT + 1):
                pid = uuid.uuid4()
                title = f"{TOPICS[int(rng.integers(len(TOPICS)))]}（{name}{number}号）"
                cost = int(rng.integers(2_000, 15_000)) * 100
                state = "in_vote" if number <= ON_BALLOT else "in_deliberation"
                proposals.append(
                    (
                        pid,
                        self.programme,
                        cid,
                        path,
                        self.proposer,
                        "resident",
                        title,
                        "livelihood",
                        types[int(rng.integers(len(types)))],
                        kinds[int(rng.integers(len(kinds)))],
                        "居民反映的需求：" + title,
                        "由社区统一组织实施",
                        "惠及本社区居民",
                        cost,
                        state,
                        now,
                        now - timedelta(days=40, minutes=-number),
                        now,
                        now,
                    )
                )
                self.projects.append(pid)
                if number <= ON_BALLOT:
                    on_ballot.append((rid, pid, number, title[:100], cost))
        return {"regions": regions, "pilots": pilots, "proposals": proposals, "rounds": rounds, "on_ballot": on_ballot}

    def roll(self) -> Iterator[tuple]:
        """Residents on their community's roll; the first `voters` of the pilot communities get accounts."""
        added_at = self.now - timedelta(days=30)
        per = -(-self.n_residents // COMMUNITIES)
        serial = 0
        for cid, path in self.communities:
            surnames = self.rng.integers(len(SURNAMES), size=per)
            given = self.rng.integers(len(GIVEN), size=(per, 2))
            for k in range(per):
                if serial >= self.n_residents:
                    return
                serial += 1
                phone = _phone(serial)
                digest = keyed_digest(self.secret, "phone", phone)
                name = SURNAMES[surnames[k]] + GIVEN[given[k, 0]] + (GIVEN[given[k, 1]] if k % 10 < 7 else "")
                if cid in self.rounds and len(self.voters) < self.n_voters and k < 200:
                    self.voters.append((uuid.uuid4(), uuid.uuid4(), self.rounds[cid], digest, name, cid))
                yield (uuid.uuid4(), cid, path, digest, f"{phone[:3]}****{phone[-4:]}", name, added_at, "bench")


async def refuse_unless_bench(dsn: str, name: str) -> None:
    """Only an empty benchmark database: never real data."""
    refuse_unless_named_for_benchmarks(name)
    conn = await asyncpg.connect(dsn)
    try:
        exists = await conn.fetchval("SELECT to_regclass('region') IS NOT NULL")
        if exists and await conn.fetchval("SELECT EXISTS (SELECT 1 FROM region)"):
            sys.exit(f"refusing: the database {name!r} is not empty")
    finally:
        await conn.close()


async def load(dsn: str, city: City, checkpoint: bool = True) -> dict[str, float]:
    """COPY the city in; seconds per step."""
    spent: dict[str, float] = {}
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        small = city.structure()
        await copy_rows(conn, "region", small["regions"])
        await conn.execute(
            "INSERT INTO app_user (id, role, display_name, phone_digest, is_active, created_at)"
            " VALUES ($1, 'resident', '居民提案人', $2, true, $3)",
            city.proposer,
            hashlib.sha256(city.proposer.bytes).hexdigest(),
            city.now,
        )
        await conn.execute(
            "INSERT INTO programme (id, district_id, region_path, year, name, status, starts_on, ends_on,"
            " closing_date, rules, created_at, updated_at, opened_at)"
            " VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $7, $8, $9, $9, $9)",
            city.programme,
            city.district,
            child_path(None, city.district),
            YEAR,
            f"{YEAR}年度民生微实事",
            date(YEAR, 1, 1),
            date(YEAR, 12, 31),
            json.dumps(ProgrammeRules().model_dump(mode="json")),
            city.now,
        )
        await copy_rows(conn, "pilot", small["pilots"])
        await copy_rows(conn, "proposal", small["proposals"])
        await copy_rows(conn, "voting_round", small["rounds"])
        await copy_rows(conn, "round_project", small["on_ballot"])
        spent["regions, programme, pilots, proposals, rounds"] = time.perf_counter() - started
        started = time.perf_counter()
        await copy_rows(conn, "voter_roll_entry", city.roll())
        spent["voter_roll_entry"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "app_user",
            records=[
                (user, "resident", name, digest, True, city.now, cid) for user, _, _, digest, name, cid in city.voters
            ],
            columns=["id", "role", "display_name", "phone_digest", "is_active", "created_at", "region_id"],
        )
        await conn.copy_records_to_table(
            "auth_session",
            records=[(sid, user, city.now) for user, sid, *_ in city.voters],
            columns=["id", "user_id", "created_at"],
        )
        spent["resident accounts and sessions"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE)")
        # Write the load's dirty pages out now, so a checkpoint does not land in the first measurement (the
        # baseline's insert figure moved by a third between runs without it). A quick run measures nothing.
        if checkpoint:
            await conn.execute("CHECKPOINT")
        spent["vacuum analyze, checkpoint"] = time.perf_counter() - started
    finally:
        await conn.close()
    return spent


def voter_tokens(settings: Settings, city: City) -> list[tuple[str, str]]:
    """(access token, round id) per voter; tokens live 15 minutes, so mint them just before a run."""
    return [
        (issue_access_token(settings, user_id=user, session_id=sid, role="resident")[0], str(rid))
        for user, sid, rid, *_ in city.voters
    ]


async def seed(
    url: str,
    secret_key: str,
    residents: int = RESIDENTS,
    voters: int = VOTERS,
    seed_value: int = 20261123,
    checkpoint: bool = True,
) -> tuple[City, dict[str, float]]:
    """Migrate and load an empty benchmark database; the city and the seconds per step."""
    from sqlalchemy.engine import make_url

    await refuse_unless_bench(_dsn(url), make_url(url).database or "")
    started = time.perf_counter()
    await asyncio.to_thread(upgrade, url)
    spent = {"migrate": time.perf_counter() - started}
    city = City(seed_value, secret_key, residents, voters)
    spent.update(await load(_dsn(url), city, checkpoint))
    return city, spent


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an EMPTY database whose name starts with weishi_bench")
    parser.add_argument("--secret-key", default=Settings().secret_key, help="the server's WEISHI_SECRET_KEY")
    parser.add_argument("--residents", type=int, default=RESIDENTS)
    parser.add_argument("--voters", type=int, default=VOTERS)
    args = parser.parse_args()
    started = time.perf_counter()
    city, spent = await seed(args.database_url, args.secret_key, args.residents, args.voters)
    for step, seconds in spent.items():
        print(f"{step:>48}: {seconds:7.1f} s")
    total = time.perf_counter() - started
    print(
        f"city: 1 district, {STREETS} streets, {COMMUNITIES} communities, {PILOTS} pilots with open rounds, "
        f"{len(city.projects):,} proposals, {args.residents:,} residents on rolls, {len(city.voters):,} voter "
        f"accounts; {total:.1f} s in all ({'PASS' if total < 300 else 'FAIL'}: target 300 s)"
    )
    return 0 if total < 300 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
