"""`weishi` command line: migrate, seed-demo, serve, create-user, issue-token, revoke-token."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from sqlalchemy import select

from app.config import get_settings
from app.db import make_engine, make_sessionmaker

cli = typer.Typer(help="Weishi 微实 service administration.", no_args_is_help=True)


def _with_session(fn: Callable[..., Awaitable[Any]]) -> Any:
    """Run fn(session, settings) in one committed transaction."""

    async def runner():
        settings = get_settings()
        engine = make_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await fn(session, settings)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(runner())


@cli.command()
def migrate(revision: str = "head") -> None:
    """Bring the database schema up to the code's newest migration."""
    from app.migrations import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"database migrated to {revision}")


@cli.command("seed-demo")
def seed_demo() -> None:
    """Create the demo district, communities and one user per role (safe to run again)."""
    from app.demo.seed import DEMO_PASSWORD, DEMO_RESIDENT_PHONE
    from app.demo.seed import seed_demo as seed

    rows = _with_session(seed)
    typer.echo("Demo data ready. Log in at /docs → Authorize (username / password):")
    for username, role, region in rows:
        typer.echo(f"  {username:<11} {role:<16} {region}")
    typer.echo(f"  password for all: {DEMO_PASSWORD}")
    typer.echo(f"  resident: phone {DEMO_RESIDENT_PHONE}, code printed in the server log "
               "after POST /api/v1/auth/otp/request")


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          workers: Annotated[int | None, typer.Option(help="default: WEISHI_WORKERS")] = None) -> None:
    """Run the API with uvicorn."""
    import uvicorn

    settings = get_settings()
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port,
                workers=workers or settings.workers, proxy_headers=False, log_level=settings.log_level.lower())


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
    from app.auth.secrets import hash_password

    if len(password) < 10:
        raise typer.BadParameter("password must have at least 10 characters")
    role_value = Role(role)

    async def create(session, settings):
        if await session.scalar(select(User).where(User.username == username)):
            raise typer.BadParameter(f"user {username} exists")
        user = User(username=username, role=role_value, display_name=display_name or username,
                    password_hash=hash_password(password), region_id=uuid.UUID(region_id) if region_id else None)
        session.add(user)
        await session.flush()
        await audit.record(session, audit.Actor("cli", None, "weishi create-user"), "user.create", "user",
                           user.id, after={"username": username, "role": role_value.value})
        return user.id

    typer.echo(f"created user {username} ({_with_session(create)})")


def main() -> None:
    """Entry point of the `weishi` script."""
    cli()


if __name__ == "__main__":
    main()
