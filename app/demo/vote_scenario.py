"""The demo's road from proposals to a resident vote: screening, survey, a quorate meeting, a roll, an open round.

Played through the API like the rest of the demo; it leaves a round open for a week, so a newcomer can
log in as the demo resident (phone 13800138000) and cast a ballot from /docs.
"""

from datetime import timedelta

import httpx

from app.core import clock
from app.demo.seed import DEMO_RESIDENT_PHONE

API = "/api/v1"
REPRESENTATIVES = ["王建国", "李秀英", "张伟", "刘芳", "陈静"]
NEIGHBOURS = [
    ("13800138001", "赵敏", "彩田村小区", "3栋501"),
    ("13800138002", "孙磊", "莲花北小区", "7栋1202"),
    ("13800138003", "周婷", "彩田村小区", "1栋302"),
]


async def shortlist_and_open_vote(
    client: httpx.AsyncClient, ok, staff_h: dict, community_id: str, pilot_id: str, proposal_ids: list[str]
) -> list[str]:
    """Screen, survey and deliberate the proposals, put the community on the roll and open a week-long vote."""
    done = []
    for pid in proposal_ids:
        ok(await client.post(f"{API}/proposals/{pid}/screenings", headers=staff_h, json={}))
        for state in ("under_survey", "in_deliberation"):
            ok(await client.post(f"{API}/proposals/{pid}/transitions", headers=staff_h, json={"to": state}))
    roster = ok(await client.get(f"{API}/communities/{community_id}/representatives", headers=staff_h))["items"]
    reps = [r["id"] for r in roster if r["active"]] or [
        ok(
            await client.post(f"{API}/communities/{community_id}/representatives", headers=staff_h, json={"name": name})
        )["id"]
        for name in REPRESENTATIVES
    ]
    # Announced a few minutes ahead (announcements precede meetings), then opened at once for the demo.
    soon = (clock.now() + timedelta(minutes=5)).isoformat()
    meeting = ok(
        await client.post(
            f"{API}/communities/{community_id}/meetings",
            headers=staff_h,
            json={
                "topic": "民生微实事项目协商审议",
                "scheduled_at": soon,
                "place": "社区党群服务中心",
                "host": "社区居委会主任",
                "participants": "全体居民代表",
            },
        )
    )
    ok(await client.post(f"{API}/meetings/{meeting['id']}/open", headers=staff_h))
    for rep in reps:
        ok(
            await client.post(
                f"{API}/meetings/{meeting['id']}/sign-ins", headers=staff_h, json={"representative_id": rep}
            )
        )
    for pid in proposal_ids:
        motion = ok(
            await client.post(f"{API}/meetings/{meeting['id']}/motions", headers=staff_h, json={"proposal_id": pid})
        )
        for rep in reps:
            ok(
                await client.post(
                    f"{API}/motions/{motion['id']}/votes",
                    headers=staff_h,
                    json={"representative_id": rep, "choice": "for", "signature_ref": "表决签名表第1页"},
                )
            )
        ok(
            await client.post(
                f"{API}/motions/{motion['id']}/decision",
                headers=staff_h,
                json={"discussion": "代表一致认为项目必要、预算合理。"},
            )
        )
    ok(await client.post(f"{API}/meetings/{meeting['id']}/close", headers=staff_h, json={"summary": "会议有效。"}))
    done.append(f"representative meeting: {len(proposal_ids)} proposals shortlisted by {len(reps)} of {len(reps)}")
    roll = (
        "手机号,姓名,子单元,户号\n"
        + "\n".join(",".join(row) for row in [(DEMO_RESIDENT_PHONE, "演示居民", "彩田村小区", "2栋801"), *NEIGHBOURS])
        + "\n"
    )
    imported = ok(
        await client.post(
            f"{API}/communities/{community_id}/voter-roll/import",
            headers=staff_h,
            files={"file": ("居民名册.csv", roll.encode(), "text/csv")},
        )
    )
    done.append(f"voter roll: {imported['added']} residents")
    now = clock.now()
    rnd = ok(
        await client.post(
            f"{API}/pilots/{pilot_id}/voting-rounds",
            headers=staff_h,
            json={
                "title": "民生微实事项目居民投票",
                "proposal_ids": proposal_ids,
                "opens_at": now.isoformat(),
                "closes_at": (now + timedelta(days=7)).isoformat(),
            },
        )
    )
    done.append(
        f"voting round open for a week ({rnd['id']}): log in as the resident ({DEMO_RESIDENT_PHONE}) "
        f"and POST /api/v1/voting/rounds/{rnd['id']}/ballots"
    )
    return done
