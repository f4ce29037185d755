"""Headers every answer carries, and the hosts the service answers to (app/middleware.py)."""

import re

import httpx
import pytest

from app.main import create_app
from app.middleware import host_allowed

PROBLEM = "application/problem+json"


async def test_nosniff_on_answers_errors_and_files(client):
    answers = [
        await client.get("/healthz"),
        await client.get("/api/v1/auth/me"),  # 200, 401
        await client.get("/api/v1/no-such-route"),  # 404 from the framework
        await client.get("/api/v1/public/proposals/not-a-uuid"),  # 422
        await client.post(
            "/api/v1/auth/token",
            content=b"x" * 2_000_000,  # 413 from the middleware
            headers={"content-type": "application/json"},
        ),
        await client.get("/board"),
        await client.get("/docs"),
    ]
    assert [r.status_code for r in answers] == [200, 401, 404, 422, 413, 200, 200]
    for r in answers:
        assert r.headers.get_list("x-content-type-options") == ["nosniff"], (r.request.url, r.headers)
        assert "server" not in r.headers


async def test_a_foreign_host_gets_400_problem_and_no_redirect(client):
    """The trailing-slash redirect used to copy the Host: `Location: http://evil.example/board`."""
    r = await client.get("/board/", headers={"host": "evil.example"})
    assert r.status_code == 400 and r.headers["content-type"] == PROBLEM
    assert r.json()["code"] == "host_not_allowed" and "location" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"
    for host in ("evil.example:80", "testserver.evil.example", "127.0.0.1.evil.example", ""):
        refused = await client.get("/api/v1/public/notices", headers={"host": host})
        assert (refused.status_code, refused.json()["code"]) == (400, "host_not_allowed"), host
    ours = await client.get("/board/")
    assert ours.status_code in (307, 308) and ours.headers["location"] == "http://testserver/board"


async def test_the_allowed_hosts_are_a_setting(settings):
    app = create_app(settings.model_copy(update={"allowed_hosts": ["weishi.example.cn", "*.weishi.example.cn"]}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://weishi.example.cn") as c:
            assert (await c.get("/healthz")).status_code == 200
            assert (await c.get("/healthz", headers={"host": "api.weishi.example.cn:8443"})).status_code == 200
            assert (await c.get("/healthz", headers={"host": "testserver"})).status_code == 400


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8000", True),
        ("localhost", True),
        ("app.localhost", True),
        ("[::1]:8000", True),
        ("LOCALHOST", True),
        ("demo", True),
        ("evil.localhost.example", False),
        ("[::2]", False),
        ("", False),
    ],
)
def test_default_hosts(host, allowed, settings):
    assert host_allowed(host, settings.allowed_hosts) is allowed


async def test_docs_load_swagger_ui_and_redoc_from_the_service_itself(client):
    for page in ("/docs", "/redoc"):
        html = (await client.get(page)).text
        refs = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html)
        assert refs and not re.search(r"https?://|//cdn", html), (page, refs)
        for ref in refs:  # every asset the page names is served here
            asset = await client.get(ref)
            assert asset.status_code == 200 and asset.content, ref
    bundle = await client.get("/static-offline-docs/swagger-ui-bundle.js")
    assert "javascript" in bundle.headers["content-type"] and len(bundle.content) > 100_000
