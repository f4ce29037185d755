"""The stable access token, cached in the database for every worker: WeChat counts fetches per day, and a token
fetched by one process serves them all until shortly before it expires."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.common.models import utcnow
from app.common.upsert import insert_for
from app.core.config import Settings
from app.notifications.contacts_service import seal, unseal
from app.wechat.client import WechatClient
from app.wechat.models import WechatAccessToken

# Refreshed this long before WeChat's expiry, so no call goes out with a token about to lapse.
MARGIN = timedelta(minutes=5)


async def access_token(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, client: WechatClient, *, force: bool = False
) -> str:
    """The cached token, or a fresh one stored for the others. Its own short transaction, never the caller's:
    a token fetched must be kept even if the caller's work rolls back. stable_token gives every caller the same
    token while it lives, so two workers refreshing at once store the same value."""
    async with sessionmaker() as session:
        row = await session.get(WechatAccessToken, settings.wechat_app_id)
        if row is not None and not force and row.expires_at - MARGIN > utcnow():
            return unseal(settings, row.token_sealed)
        token, lifetime = await client.stable_token(force_refresh=force)
        values = {
            "app_id": settings.wechat_app_id,
            "token_sealed": seal(settings, token),
            "expires_at": utcnow() + timedelta(seconds=lifetime),
            "fetched_at": utcnow(),
        }
        stmt = insert_for(session, WechatAccessToken.__table__).values(**values)
        await session.execute(stmt.on_conflict_do_update(index_elements=["app_id"], set_=values))
        await session.commit()
        return token


async def cached_expiry(session: AsyncSession, settings: Settings):
    """When the cached token expires (None: nothing cached)."""
    return await session.scalar(
        select(WechatAccessToken.expires_at).where(WechatAccessToken.app_id == settings.wechat_app_id)
    )
