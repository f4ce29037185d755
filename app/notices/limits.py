"""The public-write budget objections are counted against, shared by the API and the board's form."""

from fastapi import Request

from app.ratelimit.client import client_ip, ip_key
from app.ratelimit.service import hit, limit_for


async def limit_objections(request: Request) -> None:
    """Objections from one client address are counted against the public-write budget (floods get 429)."""
    state = request.app.state
    await hit(
        state.sessionmaker,
        limit_for(state.settings, "rate_public_write_per_ip", "objection:ip", ip_key(client_ip(request))),
    )
