"""`weishi` command line: migrate, seed-demo, serve, worker, create-user, issue-token, revoke-token,
purge-expired, backup, restore, partitions."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select

from app.core.config import get_settings
from app.core.db import make_engine, make_sessionmaker
from app.core.errors import ProblemError
from app.pb_cli import pb

cli = typer.Typer(help="Weishi 微实 service administration.", no_args_is_help=True)
cli.add_typer(pb, name="pb")
partitions_cli = typer.Typer(
    help="Year partitions of the ballot tables, the ledger and the audit trail on PostgreSQL (docs/scaling.md).",
    no_args_is_help=True,
)
cli.add_typer(partitions_cli, name="partitions")
PLAIN_TABLES = "this database keeps plain tables (SQLite, or PostgreSQL before migration 0029)"


def _with_session(fn: Callable[..., Awaitable[Any]]) -> Any:
    """Run fn(session, settings) in one committed transaction."""

    async def runner():
        from app.wiring import wire

        wire()
        settings = get_settings()
        engine = make_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await fn(session, settings)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(runner())
    except ProblemError as exc:
        typer.echo(f"error: {exc.detail} ({exc.code})", err=True)
        raise typer.Exit(2) from exc


def _problem_to_exit(fn: Callable[..., Any], *args: Any) -> Any:
    """Run fn; a refusal is printed with its code and exits 2, changing nothing."""
    try:
        return fn(*args)
    except ProblemError as exc:
        typer.echo(f"error: {exc.detail} ({exc.code})", err=True)
        raise typer.Exit(2) from exc


@cli.command()
def migrate(revision: str = "head") -> None:
    """Bring the database schema up to the code's newest migration."""
    from app.core.migrations import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"database migrated to {revision}")
    made = _ensure_partitions()
    if made:
        typer.echo(f"made partitions {', '.join(made)}")


def _ensure_partitions() -> list[str] | None:
    """Every year that needs them has its partitions: this one, the next and every programme's (PostgreSQL); the
    partitions made, or None for plain tables."""
    from app.common import partitions
    from app.core.clock import today

    async def run(session, settings):
        conn = await session.connection()
        if not await partitions.partitioned(conn):
            return None
        return await partitions.ensure(conn, await partitions.years_ahead(conn, today()))

    return _with_session(run)


@partitions_cli.command("ensure")
def partitions_ensure() -> None:
    """Make the partitions of this year, the next and every programme's year where missing (run by `weishi
    migrate` too, and on creating a programme for its year)."""
    made = _ensure_partitions()
    if made is None:
        typer.echo(PLAIN_TABLES)
    else:
        typer.echo(f"made partitions {', '.join(made)}" if made else "every year that needs partitions has them")


@partitions_cli.command("list")
def partitions_list() -> None:
    """The years each partitioned table holds, and those detached into the archive schema."""
    from app.common import partitions

    async def run(session, settings):
        conn = await session.connection()
        if not await partitions.partitioned(conn):
            return None
        return await partitions.attached_years(conn), await partitions.archived_years(conn)

    found = _with_session(run)
    if found is None:
        typer.echo(PLAIN_TABLES)
        return
    attached, archived = found
    for table in partitions.PARTITIONED:
        typer.echo(
            f"{table}: {', '.join(map(str, attached[table])) or '-'}; archived "
            f"({partitions.ARCHIVE_SCHEMA}): {', '.join(map(str, archived[table])) or '-'}"
        )


@partitions_cli.command("detach")
def partitions_detach(
    year: Annotated[int, typer.Argument(help="a past programme year, all its programmes closed")],
) -> None:
    """Detach a past year's partitions and archive them in the schema weishi_archive (then, for example,
    `pg_dump --schema=weishi_archive`); refused for this year, later years, a year with an open programme, a year
    whose ledger entries are still referred to, and a year while audit events of an earlier one are attached."""
    from app.common import partitions
    from app.core.clock import today

    async def run(session, settings):
        return await partitions.detach(await session.connection(), year, today())

    try:
        moved = _with_session(run)
    except partitions.PartitionRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"detached {year} into {partitions.ARCHIVE_SCHEMA}: "
        + ", ".join(f"{table} {rows:,} rows" for table, rows in moved.items())
    )
    if "audit_event" in moved:
        typer.echo(
            f"audit chain: {moved['audit_event']:,} events of {year} archived, their last link recorded; "
            "GET /api/v1/audit/verify starts from it (?from_genesis=true walks the archive too)"
        )


@cli.command("seed-demo")
def seed_demo() -> None:
    """Create the demo district, communities and one user per role (safe to run again)."""
    from app.demo.scenario import run_scenario
    from app.demo.seed import DEMO_PASSWORD, DEMO_RESIDENT_PHONE
    from app.demo.seed import seed_demo as seed

    rows = _with_session(seed)
    for line in asyncio.run(run_scenario(get_settings())):
        typer.echo(f"demo: {line}")
    typer.echo("Demo data ready. Log in at /docs → Authorize (username / password):")
    for username, role, region in rows:
        typer.echo(f"  {username:<11} {role:<16} {region}")
    typer.echo("  street-b    street_admin     香蜜湖街道 (made by last year's play, like expert2: a second expert)")
    typer.echo(f"  password for all: {DEMO_PASSWORD}")
    typer.echo(
        f"  resident: phone {DEMO_RESIDENT_PHONE}, code printed in the server log after POST /api/v1/auth/otp/request"
    )


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int | None, typer.Option(help="default: WEISHI_WORKERS")] = None,
) -> None:
    """Run the API with uvicorn; several workers each accept on a socket of their own (app/core/serving.py)."""
    import uvicorn

    from app.core.serving import UVICORN_OPTIONS, Serving, reuseport_supported, serve_workers

    settings = get_settings()
    workers = workers or settings.workers
    log_level = settings.log_level.lower()
    if workers > 1:
        _shared_metrics_folder()
    if workers > 1 and reuseport_supported():
        serving = Serving(
            "app.main:create_app", host, port, factory=True, log_level=log_level, uvicorn_options=UVICORN_OPTIONS
        )
        raise typer.Exit(serve_workers(serving, workers))
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        **UVICORN_OPTIONS,
    )


def _shared_metrics_folder() -> None:
    """Workers write their metrics to one folder that /metrics sums (prometheus-client's multiprocess mode):
    PROMETHEUS_MULTIPROC_DIR, or a new temporary folder; what an earlier run left there is removed first. Set
    before any worker imports prometheus-client, which reads it then."""
    import os
    import tempfile

    from app.ops.metrics_env import MULTIPROC_ENV

    folder = Path(os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="weishi-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)


@cli.command("create-user")
def create_user(
    username: str,
    role: str,
    region_id: Annotated[str | None, typer.Option(help="UUID of the region the user is bound to")] = None,
    display_name: Annotated[str | None, typer.Option()] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """Create a staff user with a password."""
    from app.audit import service as audit
    from app.auth.models import Role, User
    from app.auth.rules import password_problem
    from app.auth.secrets import hash_password

    problem = password_problem(password, username, display_name)
    if problem:
        raise typer.BadParameter(problem)
    role_value = Role(role)

    async def create(session, settings):
        if await session.scalar(select(User).where(User.username == username)):
            raise typer.BadParameter(f"user {username} exists")
        user = User(
            username=username,
            role=role_value,
            display_name=display_name or username,
            password_hash=hash_password(password),
            region_id=uuid.UUID(region_id) if region_id else None,
        )
        session.add(user)
        await session.flush()
        await audit.record(
            session,
            audit.Actor("cli", None, "weishi create-user"),
            "user.create",
            "user",
            user.id,
            after={"username": username, "role": role_value.value},
        )
        return user.id

    typer.echo(f"created user {username} ({_with_session(create)})")


CLI_ACTOR_LABEL = "weishi cli"


@cli.command("issue-token")
def issue_token(
    organisation_id: Annotated[str, typer.Argument(help="UUID of the organisation (e.g. an assessor)")],
    name: Annotated[str, typer.Option(help="what the token is for")] = "assessment",
    scope: Annotated[list[str], typer.Option(help="repeat for each scope, e.g. assessments:write")] = [],  # noqa: B006
    days: Annotated[int, typer.Option(min=1, max=366)] = 90,
    campaign_id: Annotated[str | None, typer.Option(help="bind the token to one evaluation campaign")] = None,
) -> None:
    """Issue an API token; the secret is printed once and cannot be shown again."""
    from datetime import timedelta

    from app.audit.service import Actor
    from app.auth.tokens_service import issue_api_token
    from app.common.models import utcnow

    async def issue(session, settings):
        return await issue_api_token(
            session,
            settings,
            uuid.UUID(organisation_id),
            name,
            scope or ["assessments:read"],
            utcnow() + timedelta(days=days),
            uuid.UUID(campaign_id) if campaign_id else None,
            Actor("cli", None, CLI_ACTOR_LABEL),
        )

    token, secret = _with_session(issue)
    typer.echo(f"token id {token.id}, expires {token.expires_at:%Y-%m-%d}, scopes {', '.join(token.scopes)}")
    typer.echo(f"secret (shown once): {secret}")


@cli.command("revoke-token")
def revoke_token(token_id: str) -> None:
    """Revoke an API token at once."""
    from app.audit.service import Actor
    from app.auth.tokens_service import revoke_api_token

    async def revoke(session, settings):
        return await revoke_api_token(session, uuid.UUID(token_id), Actor("cli", None, CLI_ACTOR_LABEL))

    token = _with_session(revoke)
    typer.echo(f"revoked token {token.id} at {token.revoked_at:%Y-%m-%d %H:%M:%S} UTC")


@cli.command("purge-expired")
def purge_expired() -> None:
    """Delete what can serve no request any more and personal data past its retention (run daily from cron):
    expired idempotency records, rate-limit counters and one-time codes, objectors' contacts and account
    notices (WEISHI_RETENTION_*_DAYS)."""
    from app.idempotency.service import purge_expired as purge_records
    from app.privacy.retention_service import purge_personal_data

    async def run(session, settings):
        return await purge_records(session), await purge_personal_data(session, settings)

    records, counts = _with_session(run)
    typer.echo(
        f"purged {records} expired idempotency records, {counts['rate_limit_counters']} ended rate-limit "
        f"counters, {counts['otp_codes']} spent one-time codes, {counts['objection_contacts']} objectors' "
        f"contacts, {counts['notifications']} account notices"
    )


@cli.command()
def backup(archive: Annotated[Path, typer.Argument(help="the .tar file to write")]) -> None:
    """Back up the database and the uploaded files into one archive (pg_dump, or SQLite's online backup)."""
    from app.ops.backup import backup as run

    info = _problem_to_exit(run, get_settings(), archive)
    typer.echo(
        f"backed up the {info['backend']} database at migration {info['revision']} and "
        f"{info['uploads']} uploaded files to {archive} ({info['bytes']:,} bytes)"
    )


@cli.command()
def restore(archive: Annotated[Path, typer.Argument(help="a .tar file written by `weishi backup`")]) -> None:
    """Restore an archive into an EMPTY database and upload folder (it never merges or overwrites)."""
    from app.core.migrations import head_revision
    from app.ops.backup import restore as run

    info = _problem_to_exit(run, get_settings(), archive)
    typer.echo(
        f"restored the backup of {info['created_at']} (migration {info['revision']}, {info['uploads']} uploaded files)"
    )
    if info["revision"] != head_revision():
        typer.echo(f"the code is at migration {head_revision()}: run `weishi migrate` before serving")


@cli.command()
def worker(once: Annotated[bool, typer.Option(help="one pass, then exit")] = False) -> None:
    """Deliver notifications: expand due outbox events, send WeChat and SMS copies (several may run)."""
    import logging

    from app.notifications.delivery import Providers
    from app.notifications.worker import run
    from app.sms.senders import make_sms_sender
    from app.wechat.client import WechatClient
    from app.wiring import wire

    wire()
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its request lines carry WeChat's access token

    async def main_loop():
        engine = make_engine(settings)
        wechat = WechatClient(settings) if settings.wechat_app_id else None
        try:
            await run(Providers(make_sessionmaker(engine), settings, make_sms_sender(settings), wechat), once=once)
        finally:
            if wechat:
                await wechat.aclose()
            await engine.dispose()

    asyncio.run(main_loop())


def main() -> None:
    """Entry point of the `weishi` script."""
    cli()


if __name__ == "__main__":
    main()
