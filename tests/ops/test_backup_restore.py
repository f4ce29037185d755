"""`weishi backup` and `weishi restore` after a whole played year, on SQLite and PostgreSQL: the restored copy
verifies its audit chain, balances its ledger and answers every public page as the original does; a restore
that would merge into or overwrite anything is refused and changes nothing."""

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.auth.secrets import hash_password
from app.cli import cli
from app.core.config import get_settings
from app.core.migrations import upgrade
from app.demo.year import Cast, Inbox, Year, setup
from app.demo.year.cast import PASSWORD
from app.demo.year.play import play
from app.main import create_app
from tests.conftest import PG_URL, RUN_TAG, _pg_exec
from tests.factories import add_user
from tests.scenarios.money import check_money

API = "/api/v1"


async def _public_urls(client: httpx.AsyncClient, y: Year) -> list[str]:
    """Every public page the played year has: notices, objections, finances, proposals, rounds with their
    results and recount files, projects' progress and money, campaigns, and the notice board."""
    urls = [f"{API}/public/regions", f"{API}/public/voting/rounds", f"{API}/public/evaluation/campaigns", "/board"]
    for region in y.ids["regions"].values():
        urls += [
            f"{API}/public/notices?community_id={region}",
            f"{API}/public/proposals?community_id={region}",
            f"{API}/public/communities/{region}/finances",
            f"{API}/public/meetings?community_id={region}",
        ]
    for notice in (await client.get(f"{API}/public/notices")).json()["items"]:
        urls += [f"{API}/public/notices/{notice['id']}", f"{API}/public/notices/{notice['id']}/objections"]
    for rnd in (await client.get(f"{API}/public/voting/rounds")).json()["items"]:
        urls += [f"{API}/public/voting/rounds/{rnd['id']}/result", f"{API}/public/voting/rounds/{rnd['id']}/ballots.pb"]
    for project in y.ids["projects"].values():
        urls += [
            f"{API}/public/projects/{project}/{part}"
            for part in ("progress", "expenditures", "disbursements", "budget-changes", "closure")
        ]
        urls += [f"{API}/public/proposals/{project}", f"/board/projects/{project}"]
    return urls


async def _answers(client: httpx.AsyncClient, urls: list[str]) -> dict[str, tuple[int, bytes]]:
    """Status and body of each page; a problem's request_id (new on every request) left out."""
    out = {}
    for url in urls:
        r = await client.get(url)
        problem = r.headers.get("content-type", "").startswith("application/problem+json")
        out[url] = (r.status_code, str({**r.json(), "request_id": None}).encode() if problem else r.content)
    return out


def _empty_database(backend: str, tmp_path: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
    database = f"weishi_r_{RUN_TAG}_{name}_{uuid.uuid4().hex[:6]}"
    asyncio.run(_pg_exec(PG_URL, f'CREATE DATABASE "{database}"'))
    return make_url(PG_URL).set(database=database).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    if not url.startswith("sqlite"):
        asyncio.run(_pg_exec(PG_URL, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _used_folder(folder: Path) -> Path:
    folder.mkdir()
    (folder / "earlier.png").write_bytes(b"\x89PNG")
    return folder


def _cli(monkeypatch, url: str, uploads: Path, *args: str):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("WEISHI_UPLOAD_DIR", str(uploads))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, list(args))
    finally:
        get_settings.cache_clear()


@pytest.mark.fresh_database
async def test_a_played_year_restores_into_an_empty_database(
    client, session, app, settings, backend, tmp_path, monkeypatch
):
    await add_user(session, Role.admin, None, username="admin", password_hash=hash_password(PASSWORD))
    inbox = Inbox()
    app.state.otp_sender = inbox
    y = Year(client, Cast(client, inbox, staff={"admin": "admin"}), 2025)
    y.on(1, 2)
    await setup.draw_map(y)
    await setup.people(y)
    await play(y)
    sealed = (await y.get("supervisor", "/audit/verify"))["checked"]
    urls = await _public_urls(client, y)
    before = await _answers(client, urls)
    events = await session.scalar(select(func.count()).select_from(AuditEvent))
    await session.commit()
    uploads = Path(settings.upload_dir)
    archive = tmp_path / "weishi.tar"

    made = await asyncio.to_thread(_cli, monkeypatch, settings.database_url, uploads, "backup", str(archive))
    assert made.exit_code == 0 and "backed up" in made.output, made.output

    # Refused, changing nothing: the original (not empty), a database at another migration, a used upload folder.
    refused = await asyncio.to_thread(
        _cli, monkeypatch, settings.database_url, tmp_path / "new-up", "restore", str(archive)
    )
    assert refused.exit_code == 2 and "restore_target_not_empty" in refused.output, refused.output
    older = await asyncio.to_thread(_empty_database, backend, tmp_path, "older")
    target = await asyncio.to_thread(_empty_database, backend, tmp_path, "target")
    try:
        await asyncio.to_thread(upgrade, older, "0016")
        refused = await asyncio.to_thread(_cli, monkeypatch, older, tmp_path / "new-up", "restore", str(archive))
        assert refused.exit_code == 2 and "restore_target_other_migration" in refused.output, refused.output
        used = await asyncio.to_thread(_used_folder, tmp_path / "used-up")
        refused = await asyncio.to_thread(_cli, monkeypatch, target, used, "restore", str(archive))
        assert refused.exit_code == 2 and "restore_uploads_not_empty" in refused.output, refused.output
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == events
        await session.commit()

        restored_uploads = tmp_path / "restored-uploads"
        done = await asyncio.to_thread(_cli, monkeypatch, target, restored_uploads, "restore", str(archive))
        assert done.exit_code == 0 and "restored" in done.output, done.output
        assert _tree(restored_uploads) == _tree(uploads)

        copy_settings = settings.model_copy(update={"database_url": target, "upload_dir": str(restored_uploads)})
        copy = create_app(copy_settings)
        async with copy.router.lifespan_context(copy):
            transport = httpx.ASGITransport(app=copy, raise_app_exceptions=False, client=("203.0.113.10", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as restored:
                after = await _answers(restored, urls)
                changed = [u for u in urls if after[u] != before[u]]
                assert not changed, [
                    (u, before[u][0], after[u][0], before[u][1][:300], after[u][1][:300]) for u in changed[:3]
                ]
                assert sum(1 for status, _ in before.values() if status == 200) >= 40
                # The restored copy's chain verifies, every event of it, and its money adds up, read as the
                # year's own staff with the sessions they had.
                y.client = y.cast.client = restored
                verified = await y.get("supervisor", "/audit/verify")
                assert verified["ok"] and verified["checked"] == sealed, verified
                await check_money(y)
    finally:
        await asyncio.to_thread(_drop, older)
        await asyncio.to_thread(_drop, target)
