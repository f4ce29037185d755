"""Reading a district's tree from CSV: decoding, header mapping and per-line checks (pure)."""

import re
import unicodedata
from dataclasses import dataclass, field

from app.common.csv_table import LineError, read_table
from app.regions.models import RegionLevel
from app.regions.schemas import CODE_MAX, CODE_PATTERN, NAME_MAX

MAX_ROWS = 50_000

# Chinese and English headers; matched after trimming and case-folding.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "district": ("district", "区", "区县"),
    "street": ("street", "town", "街道", "街道/镇", "镇"),
    "community": ("community", "village", "社区", "社区/村", "村"),
    "subunit_level": ("subunit_level", "子单元类型"),
    "subunit": ("subunit", "子单元"),
    "parent_subunit": ("parent_subunit", "上级子单元"),
    "code": ("code", "代码", "行政区划代码"),
}

SUBUNIT_LEVELS: dict[str, RegionLevel] = {
    "grid": RegionLevel.grid,
    "网格": RegionLevel.grid,
    "compound": RegionLevel.compound,
    "小区": RegionLevel.compound,
    "group": RegionLevel.group,
    "小组": RegionLevel.group,
    "building": RegionLevel.building,
    "楼栋": RegionLevel.building,
    "楼道": RegionLevel.building,
}

_CODE_RE = re.compile(CODE_PATTERN)


@dataclass(frozen=True)
class Row:
    """One checked data line: the chain of names it names, and the code of its deepest node."""

    line: int
    district: str
    street: str | None = None
    community: str | None = None
    subunit_level: RegionLevel | None = None
    subunit: str | None = None
    parent_subunit: str | None = None
    code: str | None = None


@dataclass
class ParsedFile:
    """The rows that passed their own checks, every error found, and how the file was decoded."""

    rows: list[Row] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    encoding: str = ""

    @property
    def district_name(self) -> str | None:
        """The district the file is about (that of its first good row)."""
        return self.rows[0].district if self.rows else None


def _name_problem(label: str, value: str) -> str | None:
    if len(value) > NAME_MAX:
        return f"{label} is longer than {NAME_MAX} characters"
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return f"{label} contains control characters"
    return None


def _row(values: dict[str, str], line: int) -> tuple[Row | None, list[str]]:
    """Check one data line on its own; the row when it is good, else the reasons."""
    reasons = []
    for key, label in (
        ("district", "district"),
        ("street", "street"),
        ("community", "community"),
        ("subunit", "subunit"),
        ("parent_subunit", "parent_subunit"),
    ):
        if values.get(key) and (problem := _name_problem(label, values[key])):
            reasons.append(problem)
    district, street, community = values.get("district"), values.get("street"), values.get("community")
    subunit, parent_subunit = values.get("subunit"), values.get("parent_subunit")
    level_text, code = values.get("subunit_level"), values.get("code")
    if not district:
        reasons.append("district is empty")
    if community and not street:
        reasons.append("a community needs its street")
    if subunit and not community:
        reasons.append("a subunit needs its community")
    if subunit and not level_text:
        reasons.append("subunit_level is empty (grid|compound|group|building or 网格|小区|小组|楼栋)")
    if level_text and not subunit:
        reasons.append("subunit_level is given but subunit is empty")
    if parent_subunit and not subunit:
        reasons.append("parent_subunit is given but subunit is empty")
    if parent_subunit and parent_subunit == subunit:
        reasons.append("a subunit cannot be its own parent_subunit")
    level = None
    if level_text:
        level = SUBUNIT_LEVELS.get(level_text.casefold())
        if level is None:
            reasons.append(
                f"unknown subunit_level {level_text!r}; use grid|compound|group|building or 网格|小区|小组|楼栋"
            )
    if code and (len(code) > CODE_MAX or not _CODE_RE.match(code)):
        reasons.append(f"code {code!r} must be up to {CODE_MAX} letters, digits, '-' or '_'")
    if reasons:
        return None, reasons
    return Row(
        line, district, street or None, community or None, level, subunit or None, parent_subunit or None, code or None
    ), []


def parse(data: bytes) -> ParsedFile:
    """Decode and check every line; a line's number is where its record starts in the file."""
    table = read_table(data, COLUMN_ALIASES, ("district",), MAX_ROWS)
    result = ParsedFile(errors=list(table.errors), encoding=table.encoding)
    for line, values in table.lines:
        row, reasons = _row(values, line)
        if row is None:
            result.errors.append(LineError(line, "; ".join(reasons)))
        else:
            result.rows.append(row)
    result.errors.sort(key=lambda e: e.line)
    _one_district(result)
    return result


def _one_district(result: ParsedFile) -> None:
    """A file holds one district's tree: lines naming another district are errors."""
    name = result.district_name
    for row in result.rows:
        if row.district != name:
            result.errors.append(
                LineError(
                    row.line,
                    f"the file is for district {name!r} (line {result.rows[0].line}) but this line "
                    f"names {row.district!r}; import one district per file",
                )
            )
    result.errors.sort(key=lambda e: e.line)
