"""The people of a played year and how they reach the API: staff by password, residents by a phone code.

A phase jumps the clock by weeks, past every access token's lifetime, so each person signs in again when the
phase changes, as they would in life.
"""

from dataclasses import dataclass, field
from datetime import date

import httpx

from app.core import clock

API = "/api/v1"
PASSWORD = "weishi-demo-2026"  # noqa: S105 - the demo's documented password
REFRESH_DAYS = 29  # a day inside the service's 30-day refresh tokens


class YearError(RuntimeError):
    """A step of the played year was refused by the API."""


def ok(response: httpx.Response, status: int | None = None) -> dict:
    """The JSON body of a successful answer (of exactly `status` when given); raises with the answer otherwise."""
    good = response.status_code == status if status else response.status_code < 400
    if not good:
        request = response.request
        raise YearError(f"{request.method} {request.url.path}: {response.status_code} {response.text}")
    return response.json() if response.content and "json" in response.headers.get("content-type", "") else {}


class Inbox:
    """The residents' phones: an OTP sender that keeps the last code sent to each number."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    async def send(self, phone: str, code: str) -> None:
        """Deliver code to phone (kept for its owner to read)."""
        self.codes[phone] = code


@dataclass
class Cast:
    """Who is who: staff usernames by part, residents' phones by name, and their current headers."""

    client: httpx.AsyncClient
    inbox: Inbox
    staff: dict[str, str] = field(default_factory=dict)  # part -> username
    phones: dict[str, str] = field(default_factory=dict)  # resident name -> phone
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)  # API tokens (machine clients) by part
    # who -> (day the access token was issued, its headers, the refresh token, day the session began)
    _signed_in: dict[str, tuple[date, dict[str, str], str, date]] = field(default_factory=dict)

    async def h(self, who: str) -> dict[str, str]:
        """Headers of a staff member, resident or machine client. On a new day the app refreshes the session as
        a phone would; past the refresh token's 30 days the person signs in again."""
        if who in self.tokens:
            return self.tokens[who]
        today = clock.today()
        held = self._signed_in.get(who)
        if held and held[0] == today:
            return held[1]
        if held and (today - held[3]).days < REFRESH_DAYS:
            tokens = ok(await self.client.post(f"{API}/auth/refresh", json={"refresh_token": held[2]}))
            began = held[3]
        else:
            tokens = await (self._resident(who) if who in self.phones else self._staff(who))
            began = today
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        self._signed_in[who] = (today, headers, tokens["refresh_token"], began)
        return headers

    async def _staff(self, part: str) -> dict:
        return ok(
            await self.client.post(f"{API}/auth/login", json={"username": self.staff[part], "password": PASSWORD})
        )

    async def _resident(self, name: str) -> dict:
        phone = self.phones[name]
        ok(await self.client.post(f"{API}/auth/otp/request", json={"phone": phone}))
        return ok(
            await self.client.post(f"{API}/auth/otp/verify", json={"phone": phone, "code": self.inbox.codes[phone]})
        )
