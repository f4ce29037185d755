"""Client input takes only what its schema declares: no Unix time for a date, no "12" for an integer, no 1 or
"yes" for a boolean, in bodies and query parameters alike (found by the fuzzer's negative-data check); text
within its schema's maxLength and pattern as sent, before it is trimmed (found by make fuzz: a place padded
with spaces past 200 characters was accepted); and no NUL character in text, which PostgreSQL refuses to
store (found by the stateful fuzzer: a 500 on PostgreSQL)."""

from datetime import date, datetime

import pytest
from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from app.common.schemas import WriteModel
from app.programmes.ruleset import ProgrammeRules
from tests.deliberation.helpers import announce
from tests.factories import make_tree
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import audit_count, body, make_pworld, submitted
from tests.voting.helpers import import_roll, roll_csv


class _Lax(BaseModel):
    """The fields as pydantic alone takes them; _Body is the same fields as a request model."""

    name: str = "x"
    count: int = Field(ge=0, le=10)
    share: float = 0.5
    flag: bool = False
    day: date | None = None
    at: AwareDatetime | None = None
    naive: datetime | None = None
    numbers: list[int] = Field(default_factory=list)


class _Body(WriteModel, _Lax):
    pass


@pytest.mark.parametrize(
    "bad",
    [
        {"count": "3"},
        {"count": True},
        {"share": "0.5"},
        {"flag": 1},
        {"flag": "true"},
        {"flag": "yes"},
        {"day": 0},
        {"day": 1_767_225_600},
        {"day": "1767225600"},
        {"at": 0},
        {"at": 1_767_225_600.5},
        {"naive": 1_700_000_000},
        {"naive": "2026-01-01"},
        {"numbers": [1, "2"]},
        {"name": "a\x00b"},
    ],
)
def test_a_request_model_refuses_what_lax_mode_would_coerce(bad):
    _Lax.model_validate({"count": 1, **bad})  # what pydantic alone accepts ...
    with pytest.raises(ValidationError):  # ... and request models do not
        _Body.model_validate({"count": 1, **bad})


def test_a_request_model_takes_json_as_the_schema_says_and_python_values():
    body = _Body.model_validate(
        {
            "count": 3,
            "share": 1,
            "flag": True,
            "day": "2026-03-01",
            "at": "2026-03-01T08:00:00+08:00",
            "naive": "2026-03-01T08:00:00",
            "numbers": [1],
        }
    )
    assert body.day == date(2026, 3, 1) and body.at.utcoffset().total_seconds() == 8 * 3600
    assert _Body(count=1, day=date(2026, 3, 1)).day == date(2026, 3, 1)  # services build them from Python values


def test_strictness_leaves_the_json_schema_alone():
    strict, lax = _Body.model_json_schema(), _Lax.model_json_schema()
    assert strict["properties"] == lax["properties"]


def test_programme_rules_are_strict_too():
    assert ProgrammeRules.model_validate({"notice": {"days": 5}}).notice.days == 5
    with pytest.raises(ValidationError):
        ProgrammeRules.model_validate({"notice": {"days": "5"}})


class _Code(WriteModel):
    code: str = Field(max_length=8, pattern=r"^[0-9A-Za-z_-]+$")


def test_text_limits_hold_as_sent_and_trimming_comes_after():
    assert _Body.model_validate({"count": 1, "name": "  x  "}).name == "x"
    assert _Code.model_validate({"code": "4403"}).code == "4403"
    for bad in ({"code": " 4403"}, {"code": "4403\t"}, {"code": "44030400 "}):
        with pytest.raises(ValidationError):
            _Code.model_validate(bad)


@pytest.fixture
async def pw(client, session, app):
    return await make_pworld(client, session, app, await make_tree(session))


async def test_a_number_for_a_date_in_a_body_is_422_and_changes_nothing(client, session, pw):
    proposal = await submitted(client, pw)
    h = pw.h["staff_a1"]
    ok(await client.post(f"{API}/proposals/{proposal['id']}/screenings", headers=h, json={}), 201)
    url = f"{API}/proposals/{proposal['id']}/survey-notes"
    note = {"findings": "居民普遍支持", "method": "other", "respondents": 12}
    before = await audit_count(session)
    problem(await client.post(url, headers=h, json={**note, "surveyed_on": 0}), 422, "validation_error")
    problem(
        await client.post(url, headers=h, json={**note, "surveyed_on": "2025-05-01", "respondents": "12"}),
        422,
        "validation_error",
    )
    assert await audit_count(session) == before
    assert ok(await client.post(url, headers=h, json={**note, "surveyed_on": "2025-05-01"}), 201)


async def test_nul_in_text_is_422_not_a_database_error(client, session, pw):
    note = {"findings": "居民\x00支持", "method": "other", "respondents": 12, "surveyed_on": "2025-05-01"}
    proposal = await submitted(client, pw)
    h = pw.h["staff_a1"]
    ok(await client.post(f"{API}/proposals/{proposal['id']}/screenings", headers=h, json={}), 201)
    before = await audit_count(session)
    problem(
        await client.post(f"{API}/proposals/{proposal['id']}/survey-notes", headers=h, json=note),
        422,
        "validation_error",
    )
    assert await audit_count(session) == before
    problem(await client.get(f"{API}/regions?q=a%00b", headers=h), 422, "validation_error")
    problem(await client.get(f"{API}/public/objections/YY-%00"), 422, "validation_error")
    problem(
        await client.post(f"{API}/auth/token", data={"username": "wang\x00li", "password": "x"}),
        422,
        "validation_error",
    )


async def test_text_padded_past_its_limit_is_422(client, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    padded = " " * 20 + "社区党群服务中心" + " " * 200  # 228 characters as sent, 8 once trimmed
    r = await client.post(
        f"{API}/communities/{a1}/meetings",
        headers=h,
        json={
            "topic": "协商审议",
            "scheduled_at": "2099-01-01T09:00:00+08:00",
            "place": padded,
            "host": "李华",
            "participants": "全体居民代表",
        },
    )
    problem(r, 422, "validation_error")
    assert (await announce(client, h, a1, place="  社区党群服务中心  "))["place"] == "社区党群服务中心"


@pytest.mark.parametrize("query", ["as_of=0", "as_of=1700000000", "ended_only=1", "ended_only=yes"])
async def test_query_parameters_refuse_unix_times_and_loose_booleans(client, pw, query):
    url = f"{API}/funds/reports/projects"
    problem(await client.get(f"{url}?{query}", headers=pw.h["district"]), 422, "validation_error")


async def test_query_parameters_take_iso_dates_and_json_booleans(client, pw):
    url = f"{API}/funds/reports/projects?as_of=2025-06-30&ended_only=true"
    assert ok(await client.get(url, headers=pw.h["district"]))["as_of"] == "2025-06-30"
    problem(await client.get(f"{API}/audit/events?from=0", headers=pw.h["admin"]), 422, "validation_error")
    ok(await client.get(f"{API}/audit/events?from=2025-01-01T00:00:00%2B08:00", headers=pw.h["admin"]))


ZERO_WIDTH = "\u200b\u200b\u200c\u2060\u3164"  # zero-width space, joiner-likes, word joiner, Hangul filler
RLO = "\u202e"


BAD_NAMES = [ZERO_WIDTH, f"楼道照明{RLO}改造", "\u2066社区\u2069", "\u200f居民议事", "\u2800\u061c"]


@pytest.mark.parametrize("bad", BAD_NAMES)
async def test_names_and_titles_need_visible_text_without_direction_controls(client, session, pw, bad):
    h, district, a1 = pw.h["staff_a1"], pw.h["district"], pw.tree.community_a1.id
    before = await audit_count(session)
    requests = [
        ("/proposals", pw.h["resident"], body(a1, title=bad)),
        ("/regions", district, {"name": bad, "level": "grid", "parent_id": str(a1)}),
        ("/organisations", district, {"name": bad, "kind": "assessor"}),
        (f"/communities/{a1}/representatives", h, {"name": bad}),
        (f"/communities/{a1}/voter-roll", h, {"phone": "13900000001", "name": bad}),
        (
            f"/communities/{a1}/meetings",
            h,
            {
                "topic": bad,
                "scheduled_at": "2099-01-01T09:00:00+08:00",
                "place": "社区党群服务中心",
                "host": "李华",
                "participants": "全体居民代表",
            },
        ),
    ]
    for path, headers, data in requests:
        r = await client.post(f"{API}{path}", headers=headers, json=data)
        body_ = problem(r, 422, "validation_error")
        assert any(
            e["type"] == "display_text" and ("可见字符" in e["msg"] or "文字方向" in e["msg"]) for e in body_["errors"]
        ), (path, body_)
    # The voter roll's CSV import holds names to the same rule.
    csv = problem(await import_roll(client, h, a1, roll_csv([("13900000002", bad, "", "")])), 422, "csv_invalid")
    assert "名称和标题" in csv["errors"][0]["message"]
    assert await audit_count(session) == before


async def test_names_with_visible_text_in_any_script_are_taken(client, pw):
    h, a1 = pw.h["staff_a1"], pw.tree.community_a1.id
    for name in ("张伟", "Zhāng Wěi", "أحمد", "王🌟"):
        ok(await client.post(f"{API}/communities/{a1}/representatives", headers=h, json={"name": name}), 201)
    assert (
        ok(
            await client.post(f"{API}/proposals", headers=pw.h["resident"], json=body(a1, title="\u200b楼道照明改造")),
            201,
        )["title"]
        == "\u200b楼道照明改造"
    )
