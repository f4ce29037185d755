"""January of the next year: the next programme is set up, the year closes (彩田社区, a pilot again, carries
its uncommitted money over; 香岭社区, not a pilot again, is swept back), and the project still in
rectification is accepted, paid its retention and closed in the new calendar year, under its own programme."""

from app.demo.year import Year


async def next_programme(y: Year) -> None:
    """The district sets up next year's programme; 彩田社区 and 侨香社区 are its pilots."""
    y.on(1, 5, year_offset=1)
    regions = y.ids["regions"]
    programme = await y.post(
        "district",
        "/programmes",
        {
            "district_id": regions["福田区"],
            "year": y.year + 1,
            "name": f"{y.year + 1}年度民生微实事",
            "rules": {"year_end": "carry_over", "implementation": {"mid_term_review": True}},
        },
        201,
    )
    y.ids["next_programme"] = programme["id"]
    y.ids["next_pilots"] = {
        community: (
            await y.post(street, f"/programmes/{programme['id']}/pilots", {"community_id": regions[community]}, 201)
        )["id"]
        for community, street in (("彩田社区", "street"), ("侨香社区", "street_b"))
    }


async def close_the_year(y: Year) -> None:
    """The district closes the programme: what no project holds is carried over or swept back."""
    y.on(1, 6, year_offset=1)
    y.ids["year_end"] = (await y.post("district", f"/programmes/{y.ids['programme']}/close"))["year_end"]


async def rectified_project(y: Year) -> None:
    """照明改造 files its rectification report and passes a second acceptance; finance pays the retention in
    January and the project closes; the money it did not use goes back and follows the year end."""
    y.on(1, 12, year_offset=1)
    p = y.ids["projects"][1]
    await y.post(
        "staff",
        f"/projects/{p}/acceptances",
        {
            "held_on": y.on(1, 12, year_offset=1).isoformat(),
            "representatives": ["王建国", "李秀英", "张伟"],
            "representatives_passed": True,
            "representatives_opinion": "整改到位。",
            "rectification_report": "已更换亮度不足的灯具并调整感应时长。",
            "survey": {"respondents": 50, "satisfied": 44},
        },
        201,
    )
    await y.post(
        "finance",
        f"/projects/{p}/disbursements",
        {"instalment": 2, "paid_on": y.on(1, 13, year_offset=1).isoformat(), "document_ref": "付款凭证 1-3"},
        201,
    )
    await y.post(
        "staff",
        f"/projects/{p}/closure",
        {"closed_on": y.on(1, 15, year_offset=1).isoformat(), "summary": "整改后验收通过，项目结项。"},
        201,
    )
    y.ids["year_end_again"] = await y.post("district", f"/programmes/{y.ids['programme']}/year-end")
