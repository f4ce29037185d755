"""The negative list screening checks proposals against (Shenzhen, Zhuhai, Chengdu practice; DOMAIN.md §4).

Pure data. A programme may carry its own list under `negative_list` in its rules; otherwise this default applies.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class NegativeItem:
    """One thing micro-project money may not pay for, with a stable code."""

    code: str
    label: str
    description: str


DEFAULT_NEGATIVE_LIST: tuple[NegativeItem, ...] = (
    NegativeItem(
        "responsible_party_duty",
        "属于物业服务企业或其他责任主体职责",
        "The duty of a property-management company or another responsible party.",
    ),
    NegativeItem(
        "duplicates_government_project",
        "与政府已有项目重复",
        "Duplicates a project the government already runs or funds.",
    ),
    NegativeItem("staff_pay", "人员工资、津贴补贴（办事不养人）", "Pays staff wages, allowances or subsidies."),
    NegativeItem("gifts", "发放礼品、纪念品", "Buys gifts or souvenirs."),
    NegativeItem("banquets", "宴请、聚餐", "Pays for banquets or meals."),
    NegativeItem("travel", "旅游、考察", "Pays for travel or study tours."),
    NegativeItem("single_household", "仅惠及个别住户", "Benefits a single household rather than the community."),
)


def items_from(custom: list[dict] | None) -> tuple[NegativeItem, ...]:
    """The programme's own list when it has one, else the default."""
    if not custom:
        return DEFAULT_NEGATIVE_LIST
    return tuple(NegativeItem(i["code"], i["label"], i.get("description", "")) for i in custom)


def unknown_codes(items: tuple[NegativeItem, ...], codes: list[str]) -> list[str]:
    """Codes not on the list, in the order given."""
    known = {i.code for i in items}
    return [c for c in codes if c not in known]


def reasons_for(items: tuple[NegativeItem, ...], codes: list[str]) -> list[dict[str, str]]:
    """The failed items as {code, label}, in list order."""
    wanted = set(codes)
    return [{"code": i.code, "label": i.label} for i in items if i.code in wanted]
