"""Before the year: the district's map and its staff (by an administrator), then the programme, its pilots
and its money from every source."""

from app.demo.year import Year
from app.demo.year.cast import PASSWORD

STREETS = {"莲花街道": ["彩田社区", "景华社区"], "香蜜湖街道": ["香岭社区", "侨香社区"]}
COMPOUNDS = {"彩田社区": ["彩田村小区"]}
# part -> (role, region name, display name); evaluators are the district's experts (专家评议).
STAFF = {
    "district": ("district_admin", "福田区", "区民政局 陈科长"),
    "street": ("street_admin", "莲花街道", "莲花街道 林主任"),
    "street_b": ("street_admin", "香蜜湖街道", "香蜜湖街道 黄主任"),
    "staff": ("community_staff", "彩田社区", "彩田社区 社工小周"),
    "finance": ("finance", "福田区", "区民政局财务 吴会计"),
    "supervisor": ("supervisor", "福田区", "居务监督委员会 郑主任"),
    "expert": ("evaluator", "福田区", "评审专家 高教授"),
    "expert2": ("evaluator", "福田区", "评审专家 罗老师"),
}
# Residents of 彩田社区 and their phones; 周 has no smartphone and votes on paper.
RESIDENTS = {
    "王": "13900000001",
    "李": "13900000002",
    "赵": "13900000003",
    "钱": "13900000004",
    "孙": "13900000005",
    "周": "13900000006",
}


async def draw_map(y: Year) -> None:
    """The administrator draws the district, its streets, communities and a residential compound."""
    regions = y.ids.setdefault("regions", {})
    district = await y.post("admin", "/regions", {"name": "福田区", "level": "district", "code": "440304"}, 201)
    regions["福田区"] = district["id"]
    for street, communities in STREETS.items():
        s = await y.post("admin", "/regions", {"name": street, "level": "street", "parent_id": district["id"]}, 201)
        regions[street] = s["id"]
        for community in communities:
            c = await y.post("admin", "/regions", {"name": community, "level": "community", "parent_id": s["id"]}, 201)
            regions[community] = c["id"]
            for compound in COMPOUNDS.get(community, []):
                regions[compound] = (
                    await y.post(
                        "admin", "/regions", {"name": compound, "level": "compound", "parent_id": c["id"]}, 201
                    )
                )["id"]


async def people(y: Year) -> None:
    """The third-party assessor (the social organisation registers itself: app/demo/year/organisation.py)
    and every staff account not there yet; residents come with their phones."""
    regions = y.ids["regions"]
    orgs = y.ids.setdefault("organisations", {})
    for key, name, kind, region in (("assessor", "鹏城第三方评估中心", "assessor", "福田区"),):
        orgs[key] = (
            await y.post("admin", "/organisations", {"name": name, "kind": kind, "region_id": regions[region]}, 201)
        )["id"]
    for part, (role, region, display) in STAFF.items():
        if part in y.cast.staff:
            continue
        username = part.replace("_", "-")
        await y.post(
            "admin",
            "/users",
            {
                "username": username,
                "password": PASSWORD,
                "display_name": display,
                "role": role,
                "region_id": regions[region],
            },
            201,
        )
        y.cast.staff[part] = username
    y.cast.phones.update(RESIDENTS)


async def programme_and_pilots(y: Year) -> None:
    """January: the district sets the year's programme; each street designates its pilot (one each: both have
    15 communities or fewer); the opening check passes and the programme opens, its rules frozen."""
    y.on(1, 6)
    regions = y.ids["regions"]
    programme = await y.post(
        "district",
        "/programmes",
        {
            "district_id": regions["福田区"],
            "year": y.year,
            "name": f"{y.year}年度民生微实事",
            "rules": {"year_end": "carry_over", "implementation": {"mid_term_review": True}},
        },
        201,
    )
    y.ids["programme"] = programme["id"]
    pilots = y.ids.setdefault("pilots", {})
    for community, street in (("彩田社区", "street"), ("香岭社区", "street_b")):
        pilots[community] = (
            await y.post(street, f"/programmes/{programme['id']}/pilots", {"community_id": regions[community]}, 201)
        )["id"]
    await y.post("district", f"/programmes/{programme['id']}/open")


async def funds_in(y: Year) -> None:
    """February: the district subsidy of 3万元 reaches both pilots; 莲花街道 adds 1万元 of matching funds to
    彩田社区 and a local business donates 2,000元 there without wishing to be named."""
    y.on(2, 10)
    sources = y.ids.setdefault("sources", {})
    for community, pilot in y.ids["pilots"].items():
        subsidy = next(
            s for s in await y.get("district", f"/pilots/{pilot}/fund-sources") if s["kind"] == "district_subsidy"
        )
        sources[(community, "district_subsidy")] = subsidy["id"]
        await y.post(
            "district",
            f"/fund-sources/{subsidy['id']}/funds-in",
            {
                "amount_fen": subsidy["planned_fen"],
                "entry_date": y.on(2, 10).isoformat(),
                "document_ref": f"福民〔{y.year}〕8号",
            },
            201,
        )
    caitian = y.ids["pilots"]["彩田社区"]
    for kind, payer, planned, who, ref in (
        ("street_matching", "莲花街道办事处", 1_000_000, "street", f"莲办〔{y.year}〕3号"),
        ("donation", "爱心企业", 200_000, "street", f"捐赠协议 {y.year}-01"),
    ):
        source = await y.post(
            who,
            f"/pilots/{caitian}/fund-sources",
            {
                "kind": kind,
                "payer": payer,
                "planned_fen": planned,
                "dated": y.on(2, 12).isoformat(),
                "document_ref": ref,
            },
            201,
        )
        sources[("彩田社区", kind)] = source["id"]
        await y.post(
            who,
            f"/fund-sources/{source['id']}/funds-in",
            {"amount_fen": planned, "entry_date": y.on(2, 14).isoformat(), "document_ref": ref},
            201,
        )
