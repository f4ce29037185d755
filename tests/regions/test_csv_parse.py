"""Pure CSV reading and import planning: encodings, headers, line numbers, merging with what exists."""

import uuid

from app.regions.csv_import import parse
from app.regions.import_plan import ExistingNode, plan_import
from app.regions.models import RegionLevel
from app.regions.rules import child_path

HEADER = "区,街道,社区,子单元类型,子单元,上级子单元,代码\n"


def test_encodings_and_headers():
    text = HEADER + "南山区,南头街道,星海名城社区,小区,星海名城,,\n"
    for data, enc in (
        (text.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8"),
        (text.encode("gb18030"), "gb18030"),
    ):
        parsed = parse(data)
        assert parsed.errors == [] and parsed.encoding == enc
        assert parsed.rows[0].subunit_level == RegionLevel.compound
    english = "District, STREET ,community\n南山区,南头街道,\n"
    assert parse(english.encode()).rows[0].street == "南头街道"


def test_header_problems_and_excel():
    errors = parse("区,楼层\n南山区,3\n".encode()).errors
    assert errors[0].line == 1 and "楼层" in errors[0].message
    assert "district" in parse(b"street\nx\n").errors[0].message
    assert "Excel" in parse(b"PK\x03\x04rest").errors[0].message
    assert "empty" in parse(b"").errors[0].message
    assert "no data" in parse(HEADER.encode()).errors[0].message


def test_line_numbers_count_physical_lines():
    text = (
        HEADER
        + "南山区,南头街道,,,,,\n"  # 2 fine
        + "\n"  # 3 blank
        + "南山区,,星海社区,,,,\n"  # 4 community without street
        + '南山区,南头街道,"两行\n名字",,,,\n'  # 5-6 control character in a name
        + "南山区,南头街道,星海社区,楼宇,1栋,,\n"  # 7 unknown subunit level
        + "罗湖区,,,,,,\n"  # 8 another district
        + "南山区,南头街道,星海社区,,,,12a!\n"
    )  # 9 bad code
    errors = parse(text.encode()).errors
    assert [e.line for e in errors] == [4, 5, 7, 8, 9]
    assert "needs its street" in errors[0].message
    assert "control" in errors[1].message
    assert "楼宇" in errors[2].message
    assert "one district per file" in errors[3].message


def _existing_tree():
    d, s, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    pd = child_path(None, d)
    ps = child_path(pd, s)
    pc = child_path(ps, c)
    units = []
    for name in ("A小区", "B小区"):
        u = uuid.uuid4()
        units.append(ExistingNode(u, c, RegionLevel.compound, name, None, child_path(pc, u)))
    return [
        ExistingNode(d, None, RegionLevel.district, "南山区", "440305", pd),
        ExistingNode(s, d, RegionLevel.street, "南头街道", None, ps),
        ExistingNode(c, s, RegionLevel.community, "星海社区", None, pc),
        *units,
    ]


def _plan(body: str, existing=()):
    parsed = parse((HEADER + body).encode())
    assert parsed.errors == []
    return plan_import(parsed.rows, list(existing))


def test_plan_reuses_existing_and_nests_subunits():
    plan = _plan(
        "南山区,南头街道,星海社区,楼栋,1栋,A小区,\n"
        "南山区,南头街道,星海社区,楼栋,1栋,B小区,\n"
        "南山区,南头街道,星海社区,网格,一网格,,\n"
        "南山区,南头街道,星海社区,小区,C小区,一网格,\n"
        "南山区,南头街道,星海社区,楼栋,1栋,C小区,\n"
        "南山区,南头街道,,,,,440305001\n",
        _existing_tree(),
    )
    assert plan.errors == []
    created, existing = plan.counts()
    assert created == {RegionLevel.building: 3, RegionLevel.grid: 1, RegionLevel.compound: 1}
    assert existing[RegionLevel.compound] == 2 and existing[RegionLevel.street] == 1
    assert [n.code for n in plan.codes_to_set] == ["440305001"]
    names = [n.name for n in plan.to_create]
    assert names.index("一网格") < names.index("C小区") < len(names) - 1  # parents first


def test_plan_errors():
    plan = _plan(
        "南山区,南头街道,星海社区,楼栋,1栋,D小区,\n"  # 2 unknown parent
        "南山区,南头街道,星海社区,小区,E小区,F小区,\n"  # 3 cycle E<->F
        "南山区,南头街道,星海社区,小区,F小区,E小区,\n"  # 4
        "南山区,南头街道,星海社区,楼栋,2栋,,\n"  # 5 fine
        "南山区,南头街道,星海社区,小区,2栋,,\n"  # 6 same name, other level
        "南山区,南头街道,星海社区,楼栋,3栋,2栋,\n"  # 7 building under building
        "南山区,,,,,,440399\n",
        _existing_tree(),
    )  # 8 conflicting code
    lines = {e.line: e.message for e in plan.errors}
    assert sorted(lines) == [2, 3, 4, 6, 7, 8]
    assert "not in 星海社区" in lines[2]
    assert "circle" in lines[4] and "cannot be placed" in lines[3]
    assert "already exists as a building" in lines[6]
    assert "Nothing may be placed" in lines[7]
    assert "already has code 440305" in lines[8]


def test_plan_ambiguous_parent():
    plan = _plan(
        "南山区,南头街道,星海社区,网格,一网格,,\n"
        "南山区,南头街道,星海社区,网格,二网格,,\n"
        "南山区,南头街道,星海社区,小区,G小区,一网格,\n"
        "南山区,南头街道,星海社区,小区,G小区,二网格,\n"
        "南山区,南头街道,星海社区,楼栋,1栋,G小区,\n"
    )
    assert [e.line for e in plan.errors] == [6]
    assert "ambiguous" in plan.errors[0].message and "line 4" in plan.errors[0].message
