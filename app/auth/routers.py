"""The identity-and-access routers, registered together in app.routers."""

from app.auth.organisations_router import router as organisations_router
from app.auth.router import router as auth_router
from app.auth.tokens_router import router as tokens_router
from app.auth.users_router import router as users_router
from app.wechat.router import router as wechat_router

ROUTERS = [auth_router, wechat_router, users_router, organisations_router, tokens_router]
