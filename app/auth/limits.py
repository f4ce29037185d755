"""The rate limits of the login endpoints (counted before the request's own session writes)."""

from fastapi import Request

from app.ratelimit.client import client_ip, ip_key
from app.ratelimit.service import hit, limit_for


async def limit_login(request: Request, username: str) -> None:
    """One password attempt against both the account's and the client address's budget."""
    state = request.app.state
    await hit(state.sessionmaker,
              limit_for(state.settings, "rate_login_per_account", "login:account", username.strip().casefold()),
              limit_for(state.settings, "rate_login_per_ip", "login:ip", ip_key(client_ip(request))))


async def limit_otp_request(request: Request, phone: str) -> None:
    """One code request against the phone's and the client address's budget (SMS cost, harassment)."""
    state = request.app.state
    await hit(state.sessionmaker,
              limit_for(state.settings, "rate_otp_per_phone", "otp:phone", phone),
              limit_for(state.settings, "rate_otp_per_ip", "otp:ip", ip_key(client_ip(request))))


async def limit_otp_verify(request: Request) -> None:
    """One code guess against the client address's budget (each code also has its own attempt limit)."""
    state = request.app.state
    await hit(state.sessionmaker,
              limit_for(state.settings, "rate_otp_per_ip", "otp-verify:ip", ip_key(client_ip(request))))
