"""One programme year played through the HTTP API, phase by phase, with the clock moved between phases.

`weishi seed-demo` plays the previous year with it and tests/scenarios/test_whole_year.py plays it while
checking the money after every step, so the demo shows exactly what the test proves. Each phase is a
function of `Year` in a module named for its stage; `PHASES` lists them in the order a year runs.
"""

from dataclasses import dataclass, field
from datetime import date

import httpx

from app.core import clock
from app.demo.year.cast import API, Cast, Inbox, YearError, ok

__all__ = ["API", "Cast", "Inbox", "Year", "YearError", "ok"]


@dataclass
class Year:
    """A programme year being played: who takes part, and every id it has created so far."""

    client: httpx.AsyncClient
    cast: Cast
    year: int
    ids: dict = field(default_factory=dict)

    def day(self, month: int, day: int, year_offset: int = 0) -> date:
        """That day of the programme year (or a later year)."""
        return date(self.year + year_offset, month, day)

    def on(self, month: int, day: int, year_offset: int = 0) -> date:
        """Move the clock to 10:00 (Asia/Shanghai) of that day of the programme year (or a later year)."""
        day_ = self.day(month, day, year_offset)
        clock.travel_to(day_)
        return day_

    async def get(self, who: str, path: str, **params) -> dict:
        """GET as someone (or as the public with who=""); the JSON answer."""
        return ok(await self.send(who, "GET", path, params=params or None))

    async def post(self, who: str, path: str, body: dict | None = None, status: int | None = None, **kw) -> dict:
        """POST as someone; the JSON answer (raises YearError on a refusal)."""
        return ok(await self.send(who, "POST", path, body, **kw), status)

    async def send(self, who: str, method: str, path: str, body: dict | None = None, **kw) -> httpx.Response:
        """A request as someone (or as the public with who=""), the answer unchecked."""
        headers = await self.cast.h(who) if who else {}
        return await self.client.request(
            method, f"{API}{path}", headers=headers, json=body if body is not None and "files" not in kw else None, **kw
        )
