"""一码一工程: a confirmed project's A4 sign carries a QR code that opens its board page, its name and its code."""

import io
import os
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import segno
from PIL import Image
from sqlalchemy import select

from app.proposals.models import Proposal
from app.signs import rules
from tests.implementation.helpers import PLAN_2025, confirmed_project
from tests.programmes.helpers import API

SVG = "{http://www.w3.org/2000/svg}"


def _svg_matrix(document: str) -> list[list[bool]]:
    """The QR modules drawn by the sign's one path of horizontal runs."""
    root = ET.fromstring(document)  # noqa: S314 - our own SVG
    path = next(root.iter(f"{SVG}path"))
    runs = [(int(x), int(y), int(n)) for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path.get("d"))]
    size = max(y for _, y, _ in runs) + 1
    grid = [[False] * size for _ in range(size)]
    for x, y, n in runs:
        for i in range(x, x + n):
            grid[y][i] = True
    return grid


def _png_matrix(data: bytes, modules: int) -> list[list[bool]]:
    """The QR modules read back from the PNG sign at each module's centre."""
    page = Image.open(io.BytesIO(data)).convert("L")
    assert page.size == rules.A4_PX
    scale = 880 // modules
    left, top = (rules.A4_PX[0] - scale * modules) // 2, 240
    return [
        [page.getpixel((left + c * scale + scale // 2, top + r * scale + scale // 2)) < 128 for c in range(modules)]
        for r in range(modules)
    ]


def _font_present(path: str) -> bool:
    return Path(path).is_file()


def _expected(url: str) -> list[list[bool]]:
    return [[bool(v) for v in row] for row in segno.make_qr(url, error="m").matrix]


async def test_confirmed_project_has_a_sign_that_opens_its_board_page(client, session, app, pw):
    item = await confirmed_project(client, session, app, pw)
    pid = item["proposal_id"]
    code = f"WS2025-{uuid.UUID(pid).hex[:8].upper()}"
    r = await client.get(f"{API}/public/projects/{pid}/sign.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert f'filename="{code}.svg"' in r.headers["content-disposition"]
    root = ET.fromstring(r.text)  # noqa: S314 - our own SVG
    assert (root.get("width"), root.get("height")) == ("210mm", "297mm")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "".join(rules.title_lines(item["title"])) in "".join(texts) and f"项目编号 {code}" in texts
    assert _svg_matrix(r.text) == _expected(f"http://testserver/board/projects/{pid}")

    await client.post(f"{API}/projects/{pid}/implementation", headers=pw.h["staff_a1"], json=PLAN_2025)
    page = await client.get(f"/board/projects/{pid}")
    assert page.status_code == 200 and code in page.text and f"/api/v1/public/projects/{pid}/sign.png" in page.text

    app.state.settings.public_base_url = "https://weishi.example.cn/"
    moved = await client.get(f"{API}/public/projects/{pid}/sign.svg")
    assert _svg_matrix(moved.text) == _expected(f"https://weishi.example.cn/board/projects/{pid}")

    if not _font_present(app.state.settings.sign_font_path):
        if os.environ.get("CI"):
            pytest.fail("The PNG sign needs fonts-wqy-microhei in CI")
        pytest.skip("no CJK font: apt-get install fonts-wqy-microhei")
    png = await client.get(f"{API}/public/projects/{pid}/sign.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    expected = _expected(f"https://weishi.example.cn/board/projects/{pid}")
    assert _png_matrix(png.content, len(expected)) == expected


async def test_only_confirmed_projects_have_signs(client, session, app, pw):
    item = await confirmed_project(client, session, app, pw)
    unsigned = select(Proposal.id).where(Proposal.state.not_in(rules.SIGNED_STATES))
    others = list((await session.execute(unsigned)).scalars())
    assert others  # the round's other projects, still under notice
    for pid in [uuid.uuid4(), *others]:
        for kind in ("svg", "png"):
            r = await client.get(f"{API}/public/projects/{pid}/sign.{kind}")
            assert r.status_code == 404 and r.json()["code"] == "project_not_found"
            assert r.json()["title"] == "未找到项目"  # public: Chinese by default
    app.state.settings.sign_font_path = "/nonexistent/font.ttc"
    refused = await client.get(f"{API}/public/projects/{item['proposal_id']}/sign.png")
    assert refused.status_code == 503 and refused.json()["code"] == "sign_font_missing"
    assert "SVG" in refused.json()["detail"]


def test_long_titles_fit_in_three_lines():
    assert rules.title_lines("楼道灯") == ["楼道灯"]
    lines = rules.title_lines("一" * 50)
    assert len(lines) == 3 and lines[-1].endswith("…") and all(len(x) <= rules.LINE_CHARS for x in lines)
