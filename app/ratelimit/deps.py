"""Route dependencies that rate-limit by client address."""

from fastapi import Request

from app.ratelimit.client import client_ip, ip_key
from app.ratelimit.service import hit, limit_for


def rate_limit_per_ip(bucket: str, setting: str):
    """A dependency counting one hit per request against the client address's `setting` limit."""

    async def _limit(request: Request) -> None:
        state = request.app.state
        await hit(state.sessionmaker, limit_for(state.settings, setting, f"{bucket}:ip", ip_key(client_ip(request))))

    return _limit


# For anonymous writes anyone on the internet can make (objections, comments). Declare it in the
# route's `dependencies=[Depends(limit_public_writes)]` so it runs before the request session writes
# (on SQLite a writer holding the lock would make the counter's own connection wait).
limit_public_writes = rate_limit_per_ip("public-write", "rate_public_write_per_ip")
