"""Project types and categories every later step (proposals, funds, reports) shares."""

from enum import StrEnum


class ProjectType(StrEnum):
    """Procurement type; each has its own per-project cap (Shenzhen, Zhuhai practice)."""

    services = "services"  # 服务类
    goods = "goods"  # 货物类
    works = "works"  # 工程类


class ProjectCategory(StrEnum):
    """The six categories of 'small, urgent, difficult matters' (seed 000 三(二)3(1))."""

    inclusive_services = "inclusive_services"  # 普惠型公益
    life_care = "life_care"  # 生活关爱
    social_innovation = "social_innovation"  # 社会创新
    culture_sports = "culture_sports"  # 文体娱乐
    safety = "safety"  # 安全保障
    environment = "environment"  # 社区环境整治


PROJECT_TYPE_LABELS = {ProjectType.services: "服务类", ProjectType.goods: "货物类", ProjectType.works: "工程类"}

CATEGORY_LABELS = {
    ProjectCategory.inclusive_services: "普惠型公益",
    ProjectCategory.life_care: "生活关爱",
    ProjectCategory.social_innovation: "社会创新",
    ProjectCategory.culture_sports: "文体娱乐",
    ProjectCategory.safety: "安全保障",
    ProjectCategory.environment: "社区环境整治",
}
