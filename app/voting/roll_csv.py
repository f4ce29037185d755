"""Reading a community's voter roll from CSV (pure): phone, name, sub-unit and household per line."""

import unicodedata
from dataclasses import dataclass, field

from app.auth.secrets import normalise_phone
from app.common.csv_table import LineError, read_table
from app.common.strict import display_problem

MAX_ROWS = 100_000
NAME_MAX = 50
UNIT_MAX = 100
HOUSEHOLD_MAX = 100

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "手机号", "手机号码", "电话"),
    "name": ("name", "姓名"),
    "subunit": ("subunit", "子单元", "小区", "网格", "楼栋"),
    "household": ("household", "户", "户号", "门牌", "住址"),
}


@dataclass(frozen=True)
class RollRow:
    """One good line: the normalised 11-digit phone (never stored as such) and the rest as written."""

    line: int
    phone: str
    name: str
    subunit: str | None
    household: str | None


@dataclass
class ParsedRoll:
    """The good rows, every error found, and how the file was decoded."""

    rows: list[RollRow] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    encoding: str = ""


def _text_problem(label: str, value: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"{label} is longer than {limit} characters"
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return f"{label} contains control characters"
    return None


def _row(values: dict[str, str], line: int) -> tuple[RollRow | None, list[str]]:
    reasons = []
    raw_phone, name = values.get("phone", ""), values.get("name", "")
    subunit, household = values.get("subunit") or None, values.get("household") or None
    phone = normalise_phone(raw_phone)
    if not raw_phone:
        reasons.append("phone is empty")
    elif phone is None:
        reasons.append("phone is not an 11-digit mainland mobile number")
    if not name:
        reasons.append("name is empty")
    elif problem := display_problem(name):  # the one rule for names, as the API's DisplayText
        reasons.append(f"name: {problem}")
    for label, value, limit in (
        ("name", name, NAME_MAX),
        ("subunit", subunit, UNIT_MAX),
        ("household", household, HOUSEHOLD_MAX),
    ):
        if value and (problem := _text_problem(label, value, limit)):
            reasons.append(problem)
    if reasons:
        return None, reasons
    return RollRow(line, phone, name, subunit, household), []


def parse(data: bytes) -> ParsedRoll:
    """Check every line; a phone listed twice in the file is an error on its second line."""
    table = read_table(data, COLUMN_ALIASES, ("phone", "name"), MAX_ROWS)
    result = ParsedRoll(errors=list(table.errors), encoding=table.encoding)
    first_line: dict[str, int] = {}
    for line, values in table.lines:
        row, reasons = _row(values, line)
        if row is not None and row.phone in first_line:
            row, reasons = None, [f"the same phone is already on line {first_line[row.phone]}"]
        if row is None:
            result.errors.append(LineError(line, "; ".join(reasons)))
        else:
            first_line[row.phone] = line
            result.rows.append(row)
    result.errors.sort(key=lambda e: e.line)
    return result
