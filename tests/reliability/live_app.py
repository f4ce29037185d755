"""The seeded app the fuzz tests talk to, in process, and who calls each operation.

The app runs on its own event loop in a thread, so synchronous hypothesis tests (schemathesis's) can call it.
It is seeded with the programme world of the proposal tests, a submitted proposal and a counted round whose
selection is under public notice; path parameters naming a seeded object (programme, pilot, community,
proposal, round, notice, notice item, ...) get that object's id so generated requests reach the services.
"""

import asyncio
import os
import shutil
import threading
import uuid
import zlib
from pathlib import Path

import httpx
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation
from sqlalchemy.engine import make_url

from app.auth.models import Role, User
from app.core.config import Settings
from app.main import create_app
from tests.conftest import PG_URL, _pg_exec
from tests.factories import bearer, make_tree
from tests.notices.helpers import published
from tests.programmes.helpers import API, ok, sources_of
from tests.proposals.helpers import make_pworld, submitted
from tests.providers.wechat_server import WechatServer, WechatState
from tests.test_access_matrix import EXPECTED

OPENAPI = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
# No 5xx, responses as declared (body schema, status code, media type), and schema-violating requests refused.
CHECKS = [
    checks.not_a_server_error,
    checks.response_schema_conformance,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.negative_data_rejection,
]
ROLES = ("admin", "district", "street_a", "staff_a1", "finance", "evaluator", "supervisor", "resident", None)
# The role that calls an operation, when several may: the narrowest one the access matrix lets through, so
# requests reach the handler (and, for residents, their own proposal) instead of stopping at a 403.
NARROWEST_FIRST = (
    (Role.resident, "resident"),
    (Role.community_staff, "staff_a1"),
    (Role.street_admin, "street_a"),
    (Role.finance, "finance"),
    (Role.evaluator, "evaluator"),
    (Role.supervisor, "supervisor"),
    (Role.district_admin, "district"),
    (Role.admin, "admin"),
)
# One case in OTHER_ROLES_ONE_IN goes to a role picked from all of them, so refusals are fuzzed too.
OTHER_ROLES_ONE_IN = 5
# Operations that end the caller's own session get a fresh one, or every later request of the role is a 401.
OWN_SESSION = {("POST", f"{API}/auth/logout")}
# Operations that delete the caller's own account go as a throwaway account of the role.
OWN_ACCOUNT = {("POST", f"{API}/me/deletion")}
# 401 codes that mean the fuzzer's own credentials stopped working, which would silently blunt the run.
LOST_CREDENTIALS = {"invalid_token", "session_revoked", "account_disabled"}


def primary_role(method: str, path: str) -> str | None:
    """Who calls this operation most of the time: anonymous for public ones, else the narrowest allowed role."""
    decision = EXPECTED[(method.upper(), path)]
    if decision.roles is None:
        return None
    return next(name for role, name in NARROWEST_FIRST if role in decision.roles)


def role_for(case) -> str | None:
    """The caller of one generated case: deterministic, mostly the primary role, sometimes any other."""
    key = zlib.crc32(repr((case.method, case.path, case.path_parameters, case.query, case.body)).encode())
    if key % OTHER_ROLES_ONE_IN:
        # The operation's own method: the coverage phase also sends methods the path does not have.
        return primary_role(case.operation.method, case.path)
    return ROLES[(key // OTHER_ROLES_ONE_IN) % len(ROLES)]


def _as_bytes(value):
    return value if isinstance(value, bytes | str) or hasattr(value, "read") else str(value).encode()


def _encodable(files):
    """Negative examples put numbers or nulls where a file goes; httpx cannot encode those, a client would
    send their text."""
    items = files.items() if isinstance(files, dict) else files
    out = []
    for name, value in items:
        out.append(
            (name, (value[0], _as_bytes(value[1]), *value[2:]) if isinstance(value, tuple) else _as_bytes(value))
        )
    return out


class LiveApp:
    """The app on its own event loop in a thread, seeded, with a bearer token per role."""

    def __init__(self, app_settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.settings = app_settings
        self.headers: dict[str | None, dict[str, str]] = {}
        self.ids: dict[str, str] = {}
        self.run(self._start())

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    async def _start(self) -> None:
        self.app = create_app(self.settings)
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False, client=("203.0.113.10", 50000))
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60)
        async with self.app.state.sessionmaker() as session:
            tree = await make_tree(session)
            pw = await make_pworld(self.client, session, self.app, tree)
            # A counted round whose selection is under public notice, for objections, notices and results.
            notice, rnd, _ = await published(self.client, session, self.app, pw)
        proposal = await submitted(self.client, pw)
        source = (await sources_of(self.client, pw.h["district"], pw.world.pilot_a1["id"]))[0]
        ok(await self.client.get(f"{API}/auth/me", headers=pw.h["resident"]))
        self.headers = {role: pw.h[role] for role in ROLES if role} | {None: {}}
        self.ids = {
            "programme_id": pw.world.programme["id"],
            "pilot_id": pw.world.pilot_a1["id"],
            "community_id": str(tree.community_a1.id),
            "region_id": str(tree.community_a1.id),
            "proposal_id": proposal["id"],
            "project_id": proposal["id"],
            "source_id": source["id"],
            "street_id": str(tree.street_a.id),
            "notice_id": notice["id"],
            "round_id": rnd["id"],
            "item_id": notice["items"][0]["id"],
            "year": "2025",
        }

    async def _fresh_session(self, role: str) -> dict[str, str]:
        me = ok(await self.client.get(f"{API}/auth/me", headers=self.headers[role]))
        async with self.app.state.sessionmaker() as session:
            return await bearer(session, self.app, await session.get(User, uuid.UUID(me["user_id"])))

    async def _throwaway_account(self, role: str) -> dict[str, str]:
        me = ok(await self.client.get(f"{API}/auth/me", headers=self.headers[role]))
        async with self.app.state.sessionmaker() as session:
            user = User(
                role=Role(me["role"]),
                display_name="一次性账号",
                region_id=uuid.UUID(me["region"]["id"]) if me.get("region") else None,
            )
            session.add(user)
            await session.commit()
            return await bearer(session, self.app, user)

    def send(self, case, role: str | None, *, keep: frozenset[str] = frozenset()) -> httpx.Response:
        """Send a case as role. Path parameters naming a seeded object get its id, except those in keep (a
        link filled them) and when the path itself is the invalid part of a negative case."""
        negative_path = case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)
        if not negative_path:
            for name in list(case.path_parameters or {}):
                if name in self.ids and name not in keep:
                    case.path_parameters[name] = self.ids[name]
        headers = dict(self.headers[role])
        if role and (case.method.upper(), case.path) in OWN_SESSION:
            headers = self.run(self._fresh_session(role))
        if role and (case.method.upper(), case.path) in OWN_ACCOUNT:
            headers = self.run(self._throwaway_account(role))
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        kwargs.pop("cookies", None)
        if kwargs.get("files"):
            kwargs["files"] = _encodable(kwargs["files"])
        response = self.run(self.client.request(**kwargs))
        response.request.read()  # multipart bodies are streams; the checks read the request back
        if role and response.status_code == 401 and response.json().get("code") in LOST_CREDENTIALS:
            raise AssertionError(f"the fuzzer's {role} credentials stopped working: {response.text}")
        return response

    async def _stop(self) -> None:
        await self.client.aclose()
        await self._lifespan.__aexit__(None, None, None)

    def close(self) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def live_app(request, tmp_path_factory):
    """Yield a LiveApp on a copy of the migrated template (PostgreSQL when TEST_DATABASE_URL is set), with
    rate limits out of the way and tokens that outlive an hour-long `make fuzz`."""
    tmp = tmp_path_factory.mktemp("fuzz")
    cleanup = None
    if PG_URL:
        template = request.getfixturevalue("pg_template")
        name = f"weishi_fuzz_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        asyncio.run(_pg_exec(PG_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        database = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        cleanup = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    else:
        path = tmp / "fuzz.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        database = f"sqlite+aiosqlite:///{path}"
    many = "1000000/60"
    # WeChat sign-in answers from a local stand-in of its API (codes it never issued: 401), as in production
    # with WeChat configured; unconfigured it would answer 503 wechat_not_configured to every case.
    wechat = WechatServer(WechatState(apps={"wxfuzz0000000000": "fuzz-secret"}))
    wechat.__enter__()
    app_settings = Settings(
        wechat_app_id="wxfuzz0000000000",
        wechat_app_secret="fuzz-secret",
        wechat_api_base=wechat.base_url,
        environment="test",
        database_url=database,
        upload_dir=str(tmp / "uploads"),
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
        _env_file=None,
        access_token_ttl_seconds=24 * 3600,
        rate_login_per_ip=many,
        rate_otp_per_phone=many,
        rate_otp_per_phone_ip=many,
        login_backoff_free_failures=1000000,
        rate_otp_per_ip=many,
        rate_public_write_per_ip=many,
    )
    app = LiveApp(app_settings)
    yield app
    app.close()
    wechat.__exit__(None, None, None)
    if cleanup:
        asyncio.run(_pg_exec(PG_URL, cleanup))
