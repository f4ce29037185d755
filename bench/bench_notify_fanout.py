"""Benchmark: one notice published in a community whose roll holds N residents with accounts, expanded by the
notification worker into deliveries (inbox delivered at once, WeChat and SMS queued or skipped).

Run: .venv/bin/python bench/bench_notify_fanout.py [--residents N] [--database-url URL]

Without --database-url it migrates a throwaway SQLite file. It loads one community, N residents on its roll (a
third with a WeChat identity, a third with SMS chosen and a phone kept), emits the event as publishing does, then
times the worker's pass that expands it and the passes that deliver the queued WeChat and SMS copies (WeChat to
a stand-in on 127.0.0.1, SMS to the log sender). It prints the figures and checks one inbox row per resident.
"""

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, insert, select

from app.auth.models import Role, User
from app.auth.secrets import keyed_digest
from app.common.models import utcnow
from app.core.config import Settings
from app.core.db import make_engine, make_sessionmaker
from app.core.migrations import upgrade
from app.notifications import contacts_service, fanout, outbox
from app.notifications.delivery import Providers
from app.notifications.models import Notification, NotificationPreference, WechatSubscription
from app.notifications.worker import run_once
from app.regions.models import Region, RegionLevel
from app.sms.senders import LogSmsSender
from app.voting.models import VoterRollEntry
from app.wechat.client import WechatClient
from app.wechat.models import WechatIdentity
from app.wiring import wire
from tests.providers.wechat_server import WechatServer, WechatState

APP_ID = "wxbench0000000000"


async def load(settings: Settings, sessionmaker, n: int):
    async with sessionmaker() as s:
        community = Region(level=RegionLevel.community, name="基准社区", path="/bench/")
        s.add(community)
        await s.flush()
        users, roll, wx, prefs, grants = [], [], [], [], []
        for i in range(n):
            phone = f"139{i:08d}"
            uid, digest = uuid.uuid4(), keyed_digest(settings.secret_key, "phone", phone)
            users.append(
                {
                    "id": uid,
                    "role": Role.resident,
                    "display_name": f"居民{i}",
                    "phone_digest": digest,
                    "phone_masked": phone[:3] + "****" + phone[-4:],
                    "is_active": True,
                    "created_at": utcnow(),
                }
            )
            roll.append(
                {
                    "id": uuid.uuid4(),
                    "community_id": community.id,
                    "region_path": "/bench/",
                    "phone_digest": digest,
                    "phone_masked": "139****0000",
                    "name": f"居民{i}",
                    "added_at": utcnow(),
                }
            )
            if i % 3 == 0:
                wx.append(
                    {"id": uuid.uuid4(), "app_id": APP_ID, "openid": f"o{i}", "user_id": uid, "created_at": utcnow()}
                )
                grants.append(
                    {"user_id": uid, "template_id": "TPL", "remaining": 1, "granted_total": 1, "updated_at": utcnow()}
                )
            if i % 3 == 1:
                prefs.append(
                    {"user_id": uid, "kind": "notice_published", "channels": ["inbox", "sms"], "updated_at": utcnow()}
                )
        await s.execute(insert(User), users)
        await s.execute(insert(VoterRollEntry), roll)
        await s.execute(insert(WechatIdentity), wx)
        await s.execute(insert(WechatSubscription), grants)
        await s.execute(insert(NotificationPreference), prefs)
        for i in range(1, n, 3):
            await contacts_service.remember_phone(s, settings, users[i]["id"], f"139{i:08d}")
        notice = type(
            "N",
            (),
            {
                "id": uuid.uuid4(),
                "title": "基准公示",
                "community_id": community.id,
                "starts_on": "2026-12-07",
                "ends_on": "2026-12-14",
            },
        )()
        outbox.notice_published(s, notice)
        await s.commit()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=3000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    wire()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    with WechatServer(WechatState(apps={APP_ID: "secret"})) as server:
        settings = Settings(
            _env_file=None,
            database_url=url,
            wechat_app_id=APP_ID,
            wechat_app_secret="secret",
            wechat_api_base=server.base_url,
            wechat_templates={"notice_published": "TPL"},
            notify_quiet_hours="",
            sms_daily_cap_default=10**9,
            sms_daily_cap_per_phone=10**9,
        )
        engine = make_engine(settings)
        sessionmaker = make_sessionmaker(engine)
        await load(settings, sessionmaker, args.residents)
        client = WechatClient(settings)
        p = Providers(sessionmaker, settings, LogSmsSender(), client)
        start = time.perf_counter()
        async with sessionmaker() as s:
            await fanout.expand_due(s, settings)
        expanded = time.perf_counter() - start
        start, passes = time.perf_counter(), 0
        while await run_once(p, "bench", limit=200, sweep=False):
            passes += 1
        delivered = time.perf_counter() - start
        async with sessionmaker() as s:
            counts = dict(
                (await s.execute(select(Notification.channel, func.count()).group_by(Notification.channel))).all()
            )
            sent = await s.scalar(select(func.count()).select_from(Notification).where(Notification.status == "sent"))
        await client.aclose()
        await engine.dispose()
    backend = url.split(":")[0]
    print(f"{backend}: {args.residents} residents on the roll; deliveries by channel {counts}, sent {sent}")
    print(f"expanding the event: {expanded:.2f} s ({args.residents / expanded:,.0f} residents/s)")
    print(f"delivering WeChat ({len(server.state.sent)}) and SMS copies: {delivered:.2f} s in {passes} passes of 200")
    assert counts.get("inbox") == args.residents
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    asyncio.run(main())
