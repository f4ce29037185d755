"""April: the selection under public notice (公示), two objections, and confirmation of the final projects."""

from app.demo.year import Year

IMPLEMENTERS = {1: "彩田村小区居民志愿队", 2: "彩虹社工服务中心", 4: "彩田社区居委会"}


def item_numbered(notice: dict, number: int) -> dict:
    """The notice's item for ballot number `number`."""
    return next(i for i in notice["items"] if i["number"] == number)


async def public_notice(y: Year) -> None:
    """The selected projects go under notice for five working days, each with its implementer."""
    y.on(4, 10)
    proposals = y.ids["proposals"]
    notice = await y.post(
        "staff",
        f"/voting/rounds/{y.ids['round']}/notice",
        {"implementers": {proposals[n - 1]: name for n, name in IMPLEMENTERS.items() if n != 4}},
        201,
    )
    y.ids["notice"] = notice["id"]


async def objections(y: Year) -> None:
    """Two residents object through the public board. One is answered and dismissed; the other shows that the
    reading corner duplicates the district library's branch, so it is removed and its money goes to the next
    project in line (垃圾分类宣教), which gets a notice window of its own."""
    y.on(4, 11)
    notice = await y.get("staff", f"/notices/{y.ids['notice']}")
    tracking = y.ids.setdefault("objections", {})
    for number, reason in (
        (1, "照明改造应由物业公司负责，不应使用民生微实事资金。"),
        (3, "区图书馆社区分馆已在本小区设阅读点，本项目重复建设。"),
    ):
        filed = await y.post(
            "",
            f"/public/notices/{notice['id']}/objections",
            {"item_id": item_numbered(notice, number)["id"], "reason": reason, "contact": "匿名"},
            201,
        )
        tracking[number] = filed
    y.on(4, 14)
    queue = await y.get("staff", "/objections", notice_id=notice["id"])
    by_item = {o["item_id"]: o["id"] for o in queue["items"]}
    await y.post(
        "staff",
        f"/objections/{by_item[item_numbered(notice, 1)['id']]}/decision",
        {"outcome": "dismissed", "reply": "经核查，楼道照明属公共区域，物业合同未包含此项，项目继续。"},
    )
    await y.post(
        "staff",
        f"/objections/{by_item[item_numbered(notice, 3)['id']]}/decision",
        {
            "outcome": "upheld",
            "ground": "finding",
            "action": "remove",
            "reply": "经核查属实，阅读角与区图书馆项目重复，予以撤销，资金依次递补。",
        },
    )


async def conclusion(y: Year) -> None:
    """Every window has ended with no objection open: the notice concludes."""
    y.on(4, 25)
    await y.post("staff", f"/notices/{y.ids['notice']}/conclude")


async def confirmation(y: Year) -> None:
    """Each remaining project is confirmed (修改完善), which commits its budget in the ledger."""
    y.on(4, 25)
    notice = await y.get("staff", f"/notices/{y.ids['notice']}")
    projects = y.ids.setdefault("projects", {})
    for item in notice["items"]:
        if item["status"] in ("removed", "sent_back"):
            continue
        await y.post("staff", f"/notice-items/{item['id']}/confirmation", {"entry_date": y.on(4, 25).isoformat()}, 201)
        projects[item["number"]] = item["proposal_id"]
