"""The demo's annual evaluation: the district's rubric and this year's campaign, so /docs shows them.

No project of the demo year is completed yet, so the campaign starts without projects; they are added
(POST /evaluation/campaigns/{id}/projects) once implementation closes them.
"""

from datetime import timedelta

import httpx

from app.core import clock

API = "/api/v1"
CRITERIA = [
    ("need", "需求迫切性", 15),
    ("feasibility", "方案可行性", 15),
    ("innovation", "创新性", 10),
    ("budget", "预算合理性", 15),
    ("team", "团队能力", 15),
    ("participation", "居民参与", 15),
    ("outcomes", "实施成效", 15),
]


async def set_up_evaluation(
    client: httpx.AsyncClient, ok, district_h: dict, district_id: str, programme: dict
) -> list[str]:
    """A rubric adding up to 100 and the programme's evaluation campaign, open for a month from today."""
    rubric = ok(
        await client.post(
            f"{API}/evaluation/rubrics",
            headers=district_h,
            json={
                "district_id": district_id,
                "name": "民生微实事项目评分细则",
                "criteria": [{"key": k, "name": n, "max_points": m} for k, n, m in CRITERIA],
            },
        )
    )
    start = clock.today()
    campaign = ok(
        await client.post(
            f"{API}/evaluation/campaigns",
            headers=district_h,
            json={
                "programme_id": programme["id"],
                "title": f"{programme['year']}年度民生微实事项目评估",
                "rubric_id": rubric["id"],
                "opens_on": start.isoformat(),
                "closes_on": (start + timedelta(days=30)).isoformat(),
            },
        )
    )
    return [f"rubric {rubric['name']} ({rubric['id']})", f"evaluation campaign {campaign['title']} ({campaign['id']})"]
