"""The rate limits of the login endpoints (counted before the request's own session writes)."""

from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.core.errors import Unauthorized
from app.ratelimit import backoff
from app.ratelimit.client import client_ip, ip_key
from app.ratelimit.service import hit, limit_for


async def login_with_backoff(request: Request, session: AsyncSession, username: str, password: str) -> dict[str, Any]:
    """A password login under the client address's budget and the (account, address) pair's growing wait: a
    stranger guessing from elsewhere slows only itself, never the account's owner."""
    state = request.app.state
    address = ip_key(client_ip(request))
    await hit(state.sessionmaker, limit_for(state.settings, "rate_login_per_ip", "login:ip", address))
    key = backoff.backoff_key(state.settings, "login:backoff", username.strip().casefold(), address)
    await backoff.claim_attempt(state.sessionmaker, state.settings, key)
    try:
        tokens = await auth_service.login_with_password(session, state.settings, username, password)
    except Unauthorized:
        await backoff.record_failure(state.sessionmaker, key)
        raise
    await backoff.forget(session, key)
    return tokens


async def limit_otp_request(request: Request, phone: str) -> None:
    """One code request against the client address's budget, then this address's budget for the phone, then
    the phone's (SMS cost, harassment). In that order: a refused request is not counted further, so one
    address cannot spend the whole of a phone's budget and keep its owner from getting a code."""
    state = request.app.state
    address = ip_key(client_ip(request))
    await hit(
        state.sessionmaker,
        limit_for(state.settings, "rate_otp_per_ip", "otp:ip", address),
        limit_for(state.settings, "rate_otp_per_phone_ip", "otp:phone-ip", f"{phone}|{address}"),
        limit_for(state.settings, "rate_otp_per_phone", "otp:phone", phone),
    )


async def limit_otp_verify(request: Request) -> None:
    """One code guess against the client address's budget (each code also has its own attempt limit); never
    the phone's request budget, so requests made by others cannot stop the owner typing the code received."""
    state = request.app.state
    await hit(
        state.sessionmaker, limit_for(state.settings, "rate_otp_per_ip", "otp-verify:ip", ip_key(client_ip(request)))
    )
