"""/api/v1/sms/receipts: delivery receipts pushed by Alibaba Cloud and Tencent Cloud (HTTP push, 回执). The
providers do not sign these pushes, so the URL carries a secret token (settings.sms_receipt_token)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from app.auth.secrets import constant_time_equal
from app.core.db import SessionDep
from app.core.errors import NotFound, problems
from app.sms import service


class _Pushed(BaseModel):
    model_config = ConfigDict(extra="ignore")  # providers add fields over time


class AliyunReceipt(_Pushed):
    """One report of Alibaba's SmsReport push."""

    biz_id: str = Field(max_length=100)
    success: bool
    err_code: str | None = Field(default=None, max_length=100)


class TencentReceipt(_Pushed):
    """One report of Tencent's status callback."""

    sid: str = Field(max_length=100)
    report_status: str = Field(max_length=20)
    errmsg: str | None = Field(default=None, max_length=100)


router = APIRouter(prefix="/api/v1/sms/receipts", tags=["sms"])
Token = Annotated[str, Query(min_length=1, max_length=200, description="settings.sms_receipt_token")]


def _check(request: Request, token: str) -> None:
    expected = request.app.state.settings.sms_receipt_token
    if not expected or not constant_time_equal(expected, token):
        raise NotFound("没有这个回执地址。", code="not_found")


@router.post("/aliyun", summary="Alibaba Cloud delivery receipts (SmsReport)", responses=problems(404, 422))
async def aliyun_receipts(
    request: Request, session: SessionDep, token: Token, reports: Annotated[list[AliyunReceipt], Field(max_length=1000)]
) -> dict:
    """Each report updates the record of its message (by BizId); answers as Alibaba expects."""
    _check(request, token)
    for r in reports:
        await service.record_receipt(session, "aliyun", r.biz_id, r.success, r.err_code)
    return {"code": 0, "msg": "成功"}


@router.post("/tencent", summary="Tencent Cloud delivery receipts (status callback)", responses=problems(404, 422))
async def tencent_receipts(
    request: Request,
    session: SessionDep,
    token: Token,
    reports: Annotated[list[TencentReceipt], Field(max_length=1000)],
) -> dict:
    """Each report updates the record of its message (by sid, the SerialNo); answers as Tencent expects."""
    _check(request, token)
    for r in reports:
        await service.record_receipt(session, "tencent", r.sid, r.report_status == "SUCCESS", r.errmsg)
    return {"result": 0, "errmsg": "OK"}
