"""April: the voter roll, a week-long screening vote (online, one changed ballot, one on paper) and the count."""

from datetime import timedelta

from app.core import clock
from app.demo.year import Year
from app.demo.year.setup import RESIDENTS

# Approval ballots (up to 3 of the 4 shortlisted projects): 长者饭堂 5 votes, 照明 4, 阅读角 3, 宣教 2.
# Greedy within 42,000元 funds 长者饭堂 (15,000), 照明 (12,000) and 阅读角 (9,000); 宣教 (8,000) does not fit.
ONLINE = {"王": [1, 2, 3], "李": [1, 2], "赵": [2, 3, 4], "孙": [1]}
CHANGED = ("钱", [4], [1, 2, 3])  # first a ballot for 宣教 alone, then changed on reflection
PAPER = ("周", [2, 4])  # entered by staff from the paper sheet


async def voter_roll(y: Year) -> None:
    """Community staff import the roll of residents (居民名册; phones kept as keyed digests): who may propose
    there, and later vote."""
    y.on(2, 24)
    rows = [f"{phone},{name}某,彩田村小区,{i + 1}栋{i + 1}01" for i, (name, phone) in enumerate(RESIDENTS.items())]
    roll = ("手机号,姓名,子单元,户号\n" + "\n".join(rows) + "\n").encode()
    community = y.ids["regions"]["彩田社区"]
    await y.post(
        "staff", f"/communities/{community}/voter-roll/import", files={"file": ("居民名册.csv", roll, "text/csv")}
    )


async def screening_vote(y: Year) -> None:
    """The round opens on 1 April for a week over the four shortlisted projects; residents vote."""
    y.on(3, 31)
    shortlisted = y.ids["proposals"][:4]
    opens = clock.at_shanghai(y.on(4, 1), 8)
    y.on(3, 31)
    rnd = await y.post(
        "staff",
        f"/pilots/{y.ids['pilots']['彩田社区']}/voting-rounds",
        {
            "title": f"{y.year}年彩田社区民生微实事居民投票",
            "proposal_ids": shortlisted,
            "opens_at": opens.isoformat(),
            "closes_at": (opens + timedelta(days=7)).isoformat(),
        },
        201,
    )
    y.ids["round"] = rnd["id"]
    y.on(4, 2)
    receipts = y.ids.setdefault("receipts", {})
    for name, choices in ONLINE.items():
        receipts[name] = await y.post(name, f"/voting/rounds/{rnd['id']}/ballots", {"choices": choices}, 201)
    name, first, second = CHANGED
    await y.post(name, f"/voting/rounds/{rnd['id']}/ballots", {"choices": first}, 201)
    y.on(4, 5)
    receipts[name] = await y.post(name, f"/voting/rounds/{rnd['id']}/ballots", {"choices": second})
    community = y.ids["regions"]["彩田社区"]
    name, choices = PAPER
    roll = await y.get("staff", f"/communities/{community}/voter-roll", limit=200)
    entry = next(e for e in roll["items"] if e["phone_masked"].endswith(RESIDENTS[name][-4:]))
    await y.post(
        "staff",
        f"/voting/rounds/{rnd['id']}/paper-ballots",
        {"roll_entry_id": entry["id"], "choices": choices, "sheet_ref": "纸质票 001"},
        201,
    )


async def count(y: Year) -> None:
    """The window has closed: staff close the round, which counts and allocates with the programme's rule."""
    y.on(4, 9)
    y.ids["result"] = await y.post("staff", f"/voting/rounds/{y.ids['round']}/close")
