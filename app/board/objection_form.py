"""The board's objection form: where it may be posted from, its fields, and its errors in Chinese."""

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request
from pydantic import ValidationError

from app.core.errors import ProblemError, TooManyRequests
from app.notices.limits import limit_objections
from app.notices.schemas import ObjectionCreate

FIELD_MESSAGES = {
    "item_id": "请选择要提出异议的项目。",
    "reason": "请填写异议理由（5 至 1000 字）。",
    "contact": "联系方式最多 100 个字。",
}
CROSS_SITE = "请在本站的公示页面上填写并提交异议。"


@dataclass
class FormInput:
    """What the form sent, kept to fill the form again when it is refused."""

    item_id: str = ""
    reason: str = ""
    contact: str = ""


# CSRF: a same-origin check rather than a token. The form is anonymous, so there is no session a token could be
# bound to, and anyone may fetch a fresh token from the page. What a cross-site post would gain is other people's
# browsers (and addresses, past the per-address rate limit) filing objections from a page elsewhere. Browsers
# always send Origin on a cross-site POST and pages cannot forge it, so refusing a foreign or missing
# Origin/Referer stops that; a script outside a browser can send any header, but it may use the JSON API anyway.
# Behind a proxy, the proxy must pass the Host header on (nginx: `proxy_set_header Host $host`).
def same_origin(request: Request) -> bool:
    """Whether the form was posted from one of our own pages: Origin (else Referer) names the host asked."""
    source = request.headers.get("origin")
    if not source or source == "null":
        source = request.headers.get("referer")
    host = request.headers.get("host", "").lower()
    return bool(source and host) and urlsplit(source).netloc.lower() == host


async def objection_budget(request: Request) -> TooManyRequests | None:
    """Count the post against the same budget as the JSON API; a refusal is returned, to be shown on the page."""
    try:
        await limit_objections(request)
    except TooManyRequests as exc:
        return exc
    return None


async def read_form(request: Request) -> FormInput:
    """The three fields of an urlencoded (or multipart, file-less) form; an empty form for anything else."""
    form = await request.form(max_files=0, max_fields=10)
    values = {key: form.get(key) for key in ("item_id", "reason", "contact")}
    return FormInput(**{k: v if isinstance(v, str) else "" for k, v in values.items()})


def validate(data: FormInput) -> ObjectionCreate | str:
    """The objection as the JSON API would accept it, or what is wrong with it in Chinese."""
    try:
        return ObjectionCreate(item_id=data.item_id, reason=data.reason, contact=data.contact.strip() or None)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else ""
        return FIELD_MESSAGES.get(field, "提交的内容有误，请检查后重试。")


def problem_message(exc: ProblemError) -> str:
    """A refusal of the objection service or the rate limit, in words a resident understands."""
    if exc.code == "notice_not_open":
        return (
            f"该项目的异议受理期为 {exc.extra.get('starts_on', '')} 至 {exc.extra.get('ends_on', '')}，"
            "现在不在受理期内，本次异议未登记。"
        )
    if exc.code == "item_not_under_notice":
        return "该项目已不在公示中，不再受理异议。"
    if exc.code == "item_not_found":
        return "所选项目不在本公示中，请重新选择。"
    if isinstance(exc, TooManyRequests):
        minutes = math.ceil(int(exc.extra.get("retry_after", 60)) / 60)
        return f"提交过于频繁，请约 {minutes} 分钟后再试。"
    return "提交未成功，请稍后再试。"
