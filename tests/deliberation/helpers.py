"""Run representative meetings through the API, as community staff would."""

from datetime import UTC, datetime, timedelta

from tests.programmes.helpers import API, ok


async def add_roster(client, h, community_id, n: int, prefix: str = "代表") -> list[str]:
    """n representatives on the community's roster; their ids."""
    ids = []
    for i in range(n):
        r = await client.post(
            f"{API}/communities/{community_id}/representatives", headers=h, json={"name": f"{prefix}{i + 1:02d}"}
        )
        ids.append(ok(r, 201)["id"])
    return ids


async def announce(client, h, community_id, **over) -> dict:
    """An announced meeting two days ahead (201)."""
    data = {
        "topic": "2025年民生微实事项目协商审议",
        "scheduled_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "place": "社区党群服务中心二楼会议室",
        "host": "社区居委会主任 李华",
        "participants": "全体居民代表，居务监督委员会列席",
        "form": "in_person",
    }
    data.update(over)
    return ok(await client.post(f"{API}/communities/{community_id}/meetings", headers=h, json=data), 201)


async def open_meeting(client, h, community_id, present: list[str], **over) -> dict:
    """An announced, opened meeting with the given representatives signed in."""
    m = await announce(client, h, community_id, **over)
    ok(await client.post(f"{API}/meetings/{m['id']}/open", headers=h))
    for rep in present:
        ok(await client.post(f"{API}/meetings/{m['id']}/sign-ins", headers=h, json={"representative_id": rep}), 201)
    return m


async def add_motion(client, h, meeting_id, proposal_id=None, title=None) -> dict:
    """An agenda item (201)."""
    data = {k: v for k, v in (("proposal_id", proposal_id), ("title", title)) if v}
    return ok(await client.post(f"{API}/meetings/{meeting_id}/motions", headers=h, json=data), 201)


def vote(client, h, motion_id, rep_id, choice: str = "for"):
    """POST a vote (the response, unchecked)."""
    return client.post(
        f"{API}/motions/{motion_id}/votes",
        headers=h,
        json={"representative_id": rep_id, "choice": choice, "signature_ref": "表决签名表第1页"},
    )


async def votes(client, h, motion_id, reps: list[str], n_for: int, n_against: int = 0) -> None:
    """n_for votes for, n_against against, the rest of reps abstain."""
    for i, rep in enumerate(reps):
        choice = "for" if i < n_for else "against" if i < n_for + n_against else "abstain"
        ok(await vote(client, h, motion_id, rep, choice), 201)


def decide(client, h, motion_id, **over):
    """POST a decision (the response, unchecked)."""
    return client.post(
        f"{API}/motions/{motion_id}/decision", headers=h, json={"discussion": "代表们认为项目必要，预算合理。", **over}
    )


def close(client, h, meeting_id, summary: str | None = "会议按程序进行。"):
    """POST the close (the response, unchecked)."""
    return client.post(f"{API}/meetings/{meeting_id}/close", headers=h, json={"summary": summary})
