"""A demo year driven through the real API: programme, pilots, subsidy in, resident proposals, an open vote,
and the year's evaluation campaign.

Going through HTTP (in process) instead of writing rows keeps the demo honest: it can only show
what the API allows, and it breaks loudly when an endpoint changes.
"""

import httpx
from sqlalchemy import select

from app.auth import service as auth_service
from app.auth.models import Role, User
from app.core import clock
from app.core.config import Settings
from app.demo.evaluation_scenario import set_up_evaluation
from app.demo.seed import DEMO_PASSWORD
from app.demo.vote_scenario import shortlist_and_open_vote
from app.demo.year import Cast, Inbox, Year, setup
from app.demo.year.play import play
from app.main import create_app
from app.regions.models import Region

API = "/api/v1"


class DemoError(RuntimeError):
    """A step of the demo scenario was refused by the API."""


def _ok(response: httpx.Response) -> dict:
    if response.status_code >= 400:
        request = response.request
        raise DemoError(f"{request.method} {request.url.path}: {response.status_code} {response.text}")
    return response.json() if response.content else {}


async def _login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    tokens = _ok(await client.post(f"{API}/auth/login", json={"username": username, "password": DEMO_PASSWORD}))
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _play_previous_year(client: httpx.AsyncClient, app, regions: dict[str, Region], year: int) -> Year:
    """Last year played through the API with the clock moved (app/demo/year), then the clock back to now."""
    inbox, sender = Inbox(), getattr(app.state, "otp_sender", None)
    app.state.otp_sender = inbox
    staff = {part: part for part in ("admin", "district", "street", "staff", "finance", "supervisor")}
    y = Year(client, Cast(client, inbox, staff={**staff, "expert": "evaluator"}), year)
    y.ids["regions"] = {name: str(region.id) for name, region in regions.items()}
    try:
        y.on(1, 2)
        await setup.people(y)
        await play(y)
    finally:
        clock.reset()
        app.state.otp_sender = sender
    return y


async def run_scenario(settings: Settings) -> list[str]:
    """Play last year whole and this year up to an open vote, unless last year's programme exists already;
    returns what was done."""
    app = create_app(settings)
    year = clock.today().year
    done: list[str] = []
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session:
            regions = {r.name: r for r in (await session.scalars(select(Region))).all()}
            resident = await session.scalar(select(User).where(User.role == Role.resident))
            resident_tokens = await auth_service.start_session(session, settings, resident)
            await session.commit()
        resident_h = {"Authorization": f"Bearer {resident_tokens['access_token']}"}
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            district_h = await _login(client, "district")
            existing = _ok(await client.get(f"{API}/programmes", params={"year": year - 1}, headers=district_h))
            if existing.get("total"):
                return ["the demo programme exists already"]
            last_year = await _play_previous_year(client, app, regions, year - 1)
            done.append(
                f"{year - 1}: a whole year played (vote, notice with an upheld objection, implementation, "
                f"rectification, evaluation, awards, year end) ({last_year.ids['programme']})"
            )
            programme = _ok(await client.get(f"{API}/programmes/{last_year.ids['next_programme']}", headers=district_h))
            done.append(f"programme {programme['name']} ({programme['id']})")
            pilots = [{"id": pilot} for pilot in last_year.ids["next_pilots"].values()]
            _ok(await client.post(f"{API}/programmes/{programme['id']}/open", headers=district_h))
            done.append("programme opened")
            for pilot in pilots:
                sources = _ok(await client.get(f"{API}/pilots/{pilot['id']}/fund-sources", headers=district_h))
                subsidy = next(s for s in sources if s["kind"] == "district_subsidy")
                _ok(
                    await client.post(
                        f"{API}/fund-sources/{subsidy['id']}/funds-in",
                        headers=district_h,
                        json={
                            "amount_fen": programme["rules"]["subsidy_per_pilot_fen"],
                            "entry_date": clock.today().isoformat(),
                            "document_ref": f"福民〔{year}〕1号",
                        },
                    )
                )
            done.append("district subsidy of 3万元 received by each pilot")
            proposal_ids = []
            for title, category, lines in (
                ("彩田村小区楼道照明改造", "safety", [("LED感应灯", 40, 8_500), ("安装人工", 1, 120_000)]),
                ("长者饭堂助餐服务", "life_care", [("助餐补贴（人次）", 600, 1_500)]),
            ):
                proposal = _ok(
                    await client.post(
                        f"{API}/proposals",
                        headers=resident_h,
                        json={
                            "community_id": str(regions["彩田社区"].id),
                            "title": title,
                            "kind": "livelihood",
                            "project_type": "services" if category == "life_care" else "works",
                            "category": category,
                            "need": "居民议事会上多次反映的需求。",
                            "plan": "由社区工作站组织实施，分两期完成。",
                            "benefits": "惠及小区居民约300户。",
                            "budget_lines": [{"item": i, "quantity": q, "unit_price_fen": p} for i, q, p in lines],
                        },
                    )
                )
                _ok(await client.post(f"{API}/proposals/{proposal['id']}/submit", headers=resident_h))
                proposal_ids.append(proposal["id"])
                done.append(f"proposal submitted: {title}")
            done += await shortlist_and_open_vote(
                client, _ok, await _login(client, "staff"), str(regions["彩田社区"].id), pilots[0]["id"], proposal_ids
            )
            done += await set_up_evaluation(client, _ok, district_h, str(regions["福田区"].id), programme)
    return done
