"""The board in a real headless browser (Debian's Chromium, driven by Playwright) against a real uvicorn server.

A resident opens /board on a phone-sized screen, follows a notice, files an objection through the form and
lands on its tracking page; the objection is then in the staff queue of the JSON API. Without
/usr/bin/chromium (or playwright) the test is skipped locally and fails in CI, as PostgreSQL is.
"""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.notices.helpers import item_numbered, published
from tests.programmes.helpers import API, ok

CHROMIUM = Path("/usr/bin/chromium")
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = bool(os.environ.get("CI"))
REASON = "该项目与物业公司的维修责任重叠，建议核查。"
CONTACT = "13912345678"


def _missing() -> str | None:
    """Why the browser cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium: a skip locally when it is missing, a failure in CI."""
    reason = _missing()
    if reason:
        if IN_CI:
            pytest.fail(f"The browser test must run in CI: {reason}")
        pytest.skip(f"Browser test skipped: {reason}")
    return str(CHROMIUM)


@pytest.fixture
def backend() -> str:
    """One database for this slow test (overrides conftest's pair): PostgreSQL when configured, else SQLite."""
    return "postgres" if PG_URL else "sqlite"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"uvicorn exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"uvicorn did not become ready in 30 s:\n{log.read_text(errors='replace')}")


@pytest.fixture
def server(chromium, settings, tmp_path) -> Iterator[str]:
    """A real uvicorn process serving the app on a free port of 127.0.0.1, on this test's database."""
    port, log = _free_port(), tmp_path / "uvicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "WEISHI_SECRET_KEY": settings.secret_key,
        "WEISHI_ENVIRONMENT": "test",
        "WEISHI_UPLOAD_DIR": settings.upload_dir,
        "WEISHI_LOG_LEVEL": "WARNING",
        # The checkout's app, not whichever the environment has installed (cwd is a scratch folder).
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    with log.open("w") as out:
        # cwd: a scratch folder, so no .env or ./data of the checkout is picked up.
        proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(proc, f"http://127.0.0.1:{port}", log)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
async def client(server) -> AsyncIterator[httpx.AsyncClient]:
    """Overrides conftest's in-process client: arranging goes through the real server's API too."""
    async with httpx.AsyncClient(base_url=server, timeout=30) as c:
        yield c


async def test_an_objection_filed_in_a_browser_reaches_the_staff_queue(server, chromium, client, session, app, pw):
    from playwright.async_api import async_playwright, expect

    notice, _, _ = await published(client, session, app, pw)
    item = item_numbered(notice, 2)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a phone
            await page.goto(f"{server}/board")
            link = page.get_by_role("link", name=notice["title"])
            await expect(link).to_be_visible()
            await link.click()
            await expect(page).to_have_url(f"{server}/board/notices/{notice['id']}")
            await expect(page.get_by_role("heading", name=f"2号 {item['title']}")).to_be_visible()
            await expect(page.get_by_text("12,000.00 元")).to_be_visible()
            # Readable on a phone: nothing wider than the screen.
            assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

            await page.get_by_label("对哪个项目有异议").select_option(label=f"2号 {item['title']}")
            await page.get_by_label("异议理由").fill(REASON)
            await page.get_by_label("联系方式").fill(CONTACT)
            await page.get_by_role("button", name="提交异议").click()
            await expect(page).to_have_url(re.compile(r"/board/objections/YY-[A-Z0-9-]+$"))
            code = (await page.locator("#tracking-code").inner_text()).strip()
            await expect(page.locator("#status")).to_have_text("处理中")
            assert page.url.endswith(code)
        finally:
            await browser.close()

    queue = ok(await client.get(f"{API}/objections", headers=pw.h["staff_a1"], params={"status": "open"}))
    assert [(o["tracking_code"], o["item_id"], o["reason"], o["contact"]) for o in queue["items"]] == [
        (code, item["id"], REASON, CONTACT)
    ]


# Pages a resident opens, each checked by axe-core (the axe.min.js of axe-playwright-python, run in the page).
SERIOUS = {"serious", "critical"}


async def _axe_violations(page) -> list[str]:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


async def _closed_review(client, session, pw, proposal_id: str) -> str:
    """A closed review panel's result beside the vote's (stored as a close stores it: this programme selects by
    vote, so the API would refuse a panel); its id."""
    import uuid

    from app.evaluation.models import RubricVersion
    from app.programmes.models import Pilot
    from app.review.models import PanelStatus, ReviewApplication, ReviewPanel
    from tests.evaluation.helpers import EV, criteria

    rubric = ok(
        await client.post(
            f"{EV}/rubrics",
            headers=pw.h["district"],
            json={"district_id": str(pw.tree.district.id), "name": "公益微创投评审细则", "criteria": criteria()},
        ),
        201,
    )
    version = await session.scalar(select(RubricVersion.id).where(RubricVersion.rubric_id == uuid.UUID(rubric["id"])))
    pilot = await session.get(Pilot, uuid.UUID(pw.world.pilot_a1["id"]))
    panel = ReviewPanel(
        programme_id=pilot.programme_id,
        pilot_id=pilot.id,
        community_id=pilot.community_id,
        region_path=pilot.region_path,
        title="公益微创投评审",
        rubric_version_id=version,
        budget_fen=1_000_000,
        status=PanelStatus.closed,
        pitch_place="街道党群服务中心",
        result={
            "method": "review",
            "review_weight_pct": 100,
            "trim_extremes": True,
            "trim_min_scores": 5,
            "ranking": [{"number": 1, "scores": 5}],
        },
    )
    session.add(panel)
    await session.flush()
    session.add(
        ReviewApplication(
            panel_id=panel.id,
            proposal_id=uuid.UUID(proposal_id),
            number=1,
            title="长者饭堂",
            cost_fen=1_000_000,
            review_mean=85.0,
            standing=85.0,
            selected=True,
        )
    )
    await session.commit()
    return str(panel.id)


async def test_the_board_passes_axe_in_standard_and_large_text(server, chromium, client, session, app, pw):
    from playwright.async_api import async_playwright, expect

    from tests.implementation.helpers import started_project

    project = await started_project(client, session, app, pw)
    notice = ok(await client.get(f"{API}/public/notices"))["items"][0]
    review = await _closed_review(client, session, pw, project["proposal_id"])
    pages = [
        "/board",
        f"/board/notices/{notice['id']}",
        f"/board/rounds/{notice['round_id']}",
        f"/board/reviews/{review}",
        f"/board/communities/{pw.tree.community_a1.id}/finances",
        f"/board/projects/{project['proposal_id']}",
        f"/board/dashboards/{pw.tree.district.id}",
    ]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium)
        try:
            page = await browser.new_page(
                viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=True
            )
            for large in (False, True):
                if large:  # the 大字版 link: a cookie set without script, then back to the same page
                    await page.goto(f"{server}/board")
                    await page.get_by_role("link", name="大字版").click()
                    await expect(page.locator("html")).to_have_class("large-text")
                for path in pages:
                    await page.goto(f"{server}{path}")
                    assert (await page.title()).strip(), (path, await page.inner_text("body"))
                    assert await page.locator("h1").count() == 1, path
                    assert await _axe_violations(page) == [], (path, large)
        finally:
            await browser.close()
