"""A problem's title and detail in the request's language, from the catalogue keyed by the stable code."""

from app.i18n import language
from app.i18n.problems_zh import PROBLEMS_ZH

# A code missing from the catalogue (the test keeps these out of app/) still answers in Chinese by status.
_STATUS_ZH = {
    400: ("请求有误", "请求未能完成。"),
    401: ("需要登录", "请先登录。"),
    403: ("无权操作", "您无权进行此项操作。"),
    404: ("未找到", "没有找到所请求的内容。"),
    409: ("与当前状态冲突", "该操作与当前状态冲突，未作任何更改。"),
    422: ("无法处理该请求", "请求内容无法处理。"),
    429: ("请求过于频繁", "请稍后再试。"),
}


def localise(status: int, code: str, title: str, detail: str) -> tuple[str, str, str]:
    """(language, title, detail): Chinese keeps a detail raised in Chinese (it names the case's figures)."""
    lang = language.current()
    if lang == language.EN:
        return lang, title, detail
    zh_title, zh_detail = PROBLEMS_ZH.get(code) or _STATUS_ZH.get(status, ("请求未能完成", "请求未能完成。"))
    return lang, zh_title, detail if language.has_chinese(detail) else zh_detail
