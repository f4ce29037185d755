"""Arrange evaluations through the API: completed projects, a rubric, a campaign, evaluators, assessors, tokens;
move a campaign's window in time."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import Organisation, OrganisationKind, Role
from app.common.models import utcnow
from app.evaluation.models import EvaluationCampaign
from app.notices.models import NoticeItem
from app.notices.rules import today
from app.proposals.enums import ProposalState
from app.proposals.models import Proposal
from tests.factories import add_organisation, add_user, bearer
from tests.implementation.helpers import acceptance, confirmed_project
from tests.programmes.helpers import API, ok
from tests.proposals.helpers import PWorld

EV = f"{API}/evaluation"
CRITERIA = [
    ("need", "需求迫切性", 15),
    ("feasibility", "方案可行性", 15),
    ("innovation", "创新性", 10),
    ("budget", "预算合理性", 15),
    ("team", "团队能力", 15),
    ("participation", "居民参与", 15),
    ("outcomes", "实施成效", 15),
]


def criteria(rows=CRITERIA) -> list[dict]:
    """Rubric criteria as the API takes them."""
    return [{"key": k, "name": n, "max_points": m} for k, n, m in rows]


def full_score(points: dict[str, int] | None = None, comment: str | None = "总体良好") -> dict:
    """A complete score: every criterion at its maximum minus one unless given."""
    points = points or {}
    return {
        "items": [{"criterion": k, "points": points.get(k, m - 1), "comment": None} for k, _, m in CRITERIA],
        "comment": comment,
    }


def local_today():
    """Today in Asia/Shanghai."""
    return today(utcnow())


def window(opened_days_ago: int = 1, closes_in_days: int = 10) -> dict:
    """opens_on / closes_on around today (Asia/Shanghai)."""
    now = local_today()
    return {
        "opens_on": (now - timedelta(days=opened_days_ago)).isoformat(),
        "closes_on": (now + timedelta(days=closes_in_days)).isoformat(),
    }


async def set_window(session: AsyncSession, campaign_id, opens_in: int, closes_in: int) -> None:
    """Move the campaign's window to days from today, as time passing would (negative: in the past)."""
    now = local_today()
    await session.execute(
        update(EvaluationCampaign)
        .where(EvaluationCampaign.id == uuid.UUID(str(campaign_id)))
        .values(opens_on=now + timedelta(days=opens_in), closes_on=now + timedelta(days=closes_in))
    )
    await session.commit()


async def end_campaign(session: AsyncSession, campaign_id) -> None:
    """The deadline was yesterday."""
    await set_window(session, campaign_id, -10, -1)


async def completed_projects(
    client, session: AsyncSession, app, pw: PWorld, implementer_p2: Organisation, implementer_p1: Organisation
) -> dict:
    """Projects 2 and 1 of the standard round (community a1), implemented by these organisations and completed.
    Returns {"p2": id, "p1": id, "p3": id of project 3, which the vote did not select}."""
    h = pw.h["staff_a1"]
    item2 = await confirmed_project(client, session, app, pw)
    notice_id = await session.scalar(select(NoticeItem.notice_id).where(NoticeItem.id == uuid.UUID(item2["id"])))
    items = {i.number: i for i in await session.scalars(select(NoticeItem).where(NoticeItem.notice_id == notice_id))}
    await session.commit()
    ok(
        await client.post(
            f"{API}/notice-items/{items[1].id}/confirmation", headers=h, json={"entry_date": "2025-06-01"}
        ),
        201,
    )
    plans = {item2["proposal_id"]: implementer_p2, str(items[1].proposal_id): implementer_p1}
    for proposal_id, org in plans.items():
        project = ok(
            await client.post(
                f"{API}/projects/{proposal_id}/implementation",
                headers=h,
                json={
                    "implementer_kind": "organisation",
                    "organisation_id": str(org.id),
                    "started_on": "2025-06-02",
                    "milestones": [{"title": "完工", "due_on": "2025-08-01"}],
                },
            ),
            201,
        )
        ok(
            await client.post(
                f"{API}/milestones/{project['milestones'][0]['id']}/done", headers=h, json={"done_on": "2025-08-01"}
            )
        )
        ok(await client.post(f"{API}/projects/{proposal_id}/acceptances", headers=h, json=acceptance()), 201)
        ok(
            await client.post(
                f"{API}/projects/{proposal_id}/closure",
                headers=h,
                json={"closed_on": "2025-09-30", "summary": "项目按计划完成，居民反映良好。"},
            ),
            201,
        )
    p3 = await session.scalar(select(Proposal.id).where(Proposal.state == ProposalState.not_selected))
    await session.commit()
    return {"p2": item2["proposal_id"], "p1": str(items[1].proposal_id), "p3": str(p3)}


@dataclass
class EWorld:
    """Completed projects p1, p2 of community a1, a rubric and an open campaign over both, and the people around."""

    pw: PWorld
    h: dict[str, dict[str, str]]
    projects: dict[str, str]
    rubric: dict
    campaign: dict
    users: dict[str, object] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)

    @property
    def cid(self) -> str:
        """The campaign's id."""
        return self.campaign["id"]


async def person(session, app, name: str, role: Role, region, organisation=None) -> tuple[object, dict[str, str]]:
    """A user and their headers."""
    user = await add_user(session, role, region, username=f"{name}-{uuid.uuid4().hex[:6]}", organisation=organisation)
    return user, await bearer(session, app, user)


async def make_eworld(client, session, app, pw: PWorld, *, campaign_window: dict | None = None) -> EWorld:
    """The evaluation world: p2 implemented by a social organisation, p1 by an assessor organisation (which may
    therefore not assess it), a neutral assessor, evaluators (two of them partial), a rubric and an open campaign."""
    tree = pw.tree
    orgs = {
        "implementer": await add_organisation(
            session, f"彩虹社工-{uuid.uuid4().hex[:6]}", OrganisationKind.social_organisation
        ),
        "assessor": await add_organisation(
            session, f"评估中心-{uuid.uuid4().hex[:6]}", OrganisationKind.assessor, tree.district
        ),
        "assessor2": await add_organisation(session, f"评估所-{uuid.uuid4().hex[:6]}", OrganisationKind.assessor),
    }
    projects = await completed_projects(client, session, app, pw, orgs["implementer"], orgs["assessor2"])
    h, users = dict(pw.h), {}
    for name, role, region, org in (
        ("expert", Role.evaluator, tree.district, None),
        ("expert2", Role.evaluator, tree.district, None),
        ("expert_a1", Role.evaluator, tree.community_a1, None),  # lives in the projects' community
        ("expert_impl", Role.evaluator, tree.district, orgs["implementer"]),  # works for the implementer
        ("assessor_user", Role.assessor, tree.district, orgs["assessor"]),
    ):
        users[name], h[name] = await person(session, app, name, role, region, org)
    rubric = ok(
        await client.post(
            f"{EV}/rubrics",
            headers=h["district"],
            json={"district_id": str(tree.district.id), "name": "民生微实事项目评分细则", "criteria": criteria()},
        ),
        201,
    )
    campaign = ok(
        await client.post(
            f"{EV}/campaigns",
            headers=h["district"],
            json={
                "programme_id": pw.world.programme["id"],
                "title": "2025年度民生微实事项目评估",
                "rubric_id": rubric["id"],
                **(campaign_window or window()),
                "proposal_ids": [projects["p2"], projects["p1"]],
            },
        ),
        201,
    )
    return EWorld(pw, h, projects, rubric, campaign, users, orgs)


async def assign(client, ew: EWorld, proposal_ids: list[str], *, evaluator=None, organisation=None):
    """POST assignments (the response, unchecked)."""
    body = {
        "proposal_ids": proposal_ids,
        **({"evaluator_id": str(evaluator.id)} if evaluator else {}),
        **({"organisation_id": str(organisation.id)} if organisation else {}),
    }
    return await client.post(f"{EV}/campaigns/{ew.cid}/assignments", headers=ew.h["district"], json=body)


def score_url(campaign_id, proposal_id, submit: bool = False) -> str:
    """The URL of my score of a project (or its submission)."""
    return f"{EV}/campaigns/{campaign_id}/projects/{proposal_id}/score" + ("/submit" if submit else "")


async def issue_token(
    client,
    ew: EWorld,
    organisation,
    campaign_id=None,
    scopes=("assessments:read", "assessments:write"),
    issuer: str = "district",
) -> dict[str, str]:
    """An assessor organisation's API token, issued by the district admin (an admin for an organisation seated
    in no region); its headers."""
    issued = ok(
        await client.post(
            f"{API}/api-tokens",
            headers=ew.h[issuer],
            json={
                "organisation_id": str(organisation.id),
                "name": "评估接口",
                "scopes": list(scopes),
                **({"campaign_id": str(campaign_id)} if campaign_id else {}),
            },
        ),
        201,
    )
    return {"Authorization": f"Bearer {issued['token']}"}
