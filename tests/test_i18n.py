"""Problems speak Chinese to residents and the public, and to anyone asking for zh-CN; every code has Chinese text."""

import ast
import re
import uuid
from itertools import pairwise
from pathlib import Path

import pytest

from app.auth.models import Role
from app.i18n.language import EN, ZH, has_chinese, negotiate
from app.i18n.problems_zh import PROBLEMS_ZH
from tests.factories import make_tree, user_for

APP = Path(__file__).resolve().parents[1] / "app"
SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+")


def _codes_raised_in_app() -> dict[str, str]:
    """Every literal problem code in app/: code= keywords, the classes' code attributes, code defaults,
    the positional code of problem()/problem_response(), and the keys of refusal tables."""
    found: dict[str, str] = {}
    for path in APP.rglob("*.py"):
        # The explanations' codes of allocations (why a project was funded) are no problems.
        if path.name.startswith("allocation") or path.name == "equalshares_net.py":
            continue
        where = str(path.relative_to(APP.parent))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "code" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        found.setdefault(kw.value.value, where)
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if (
                    name in ("problem", "problem_response")
                    and len(node.args) > 1
                    and isinstance(node.args[1], ast.Constant)
                ):
                    found.setdefault(node.args[1].value, where)
                # Rules' problem values (BallotProblem, Problem, AwardRuleError, refusal) carry the code first.
                if (
                    (name.endswith(("Problem", "RuleError", "Refused")) or name == "refusal")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and SNAKE.fullmatch(str(node.args[0].value))
                ):
                    found.setdefault(node.args[0].value, where)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args.args[len(node.args.args) - len(node.args.defaults) :] + node.args.kwonlyargs
                defaults = node.args.defaults + [d for d in node.args.kw_defaults]
                for arg, default in zip(args, defaults, strict=False):
                    if arg.arg == "code" and isinstance(default, ast.Constant) and default.value:
                        found.setdefault(default.value, where)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    names = (
                        [getattr(e, "id", None) for e in target.elts]
                        if isinstance(target, ast.Tuple)
                        else [getattr(target, "id", None)]
                    )
                    values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                    if "code" in names and len(values) == len(names):
                        value = values[names.index("code")]
                        if isinstance(value, ast.Constant):
                            found.setdefault(value.value, where)
                    if any(n and n.endswith("REFUSALS") for n in names) and isinstance(node.value, ast.Dict):
                        for key in node.value.keys:
                            found.setdefault(key.value, where)
    return found


def test_every_code_raised_in_app_has_chinese_text():
    raised = _codes_raised_in_app()
    assert len(raised) > 250  # the scan finds the raise sites at all
    missing = {code: where for code, where in raised.items() if code not in PROBLEMS_ZH}
    assert not missing, f"add these problem codes to app/i18n/problems_zh.py: {missing}"
    for code, (title, detail) in PROBLEMS_ZH.items():
        assert has_chinese(title) and has_chinese(detail), code


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, None),
        ("", None),
        ("zh-CN", ZH),
        ("zh", ZH),
        ("zh-Hant-TW", ZH),
        ("en-US,en;q=0.9", EN),
        ("fr-FR", ZH),
        ("de, en;q=0.5", EN),
        ("en;q=0, fr", ZH),
        ("en;q=0.4, zh;q=0.8", ZH),
        ("*", ZH),
        ("en;q=x", ZH),
    ],
)
def test_accept_language_negotiation(header, language):
    assert negotiate(header) == language


async def test_public_endpoints_answer_in_chinese_by_default(client):
    r = await client.get(f"/api/v1/public/objections/{uuid.uuid4().hex[:12]}")
    body = r.json()
    assert r.status_code == 404 and r.headers["content-language"] == ZH and "Accept-Language" in r.headers["vary"]
    assert has_chinese(body["title"]) and has_chinese(body["detail"]) and body["code"] == "objection_not_found"
    english = (
        await client.get(f"/api/v1/public/objections/{uuid.uuid4().hex[:12]}", headers={"Accept-Language": "en"})
    ).json()
    assert english["code"] == "objection_not_found" and not has_chinese(english["title"])
    page = await client.get("/board/nowhere")
    assert page.status_code == 404 and page.headers["content-language"] == ZH


async def test_staff_endpoints_answer_in_english_unless_asked(client, session, app):
    tree = await make_tree(session)
    _, staff = await user_for(session, app, tree, Role.district_admin)
    missing = f"/api/v1/programmes/{uuid.uuid4()}"
    english = await client.get(missing, headers=staff)
    assert english.status_code == 404 and english.headers["content-language"] == EN
    assert english.json()["detail"] == "No programme with that id."
    for asked in ("zh-CN", "ja"):  # an unknown language falls back to Chinese
        body = (await client.get(missing, headers={**staff, "Accept-Language": asked})).json()
        assert body["title"] == "未找到年度项目" and body["detail"] == "没有这个年度项目。"
    anonymous = (await client.get(missing, headers={"Accept-Language": "zh-CN"})).json()
    assert has_chinese(anonymous["title"]) and has_chinese(anonymous["detail"])


async def test_residents_get_chinese_by_default(client, session, app):
    tree = await make_tree(session)
    _, resident = await user_for(session, app, tree, Role.resident)
    body = (await client.get(f"/api/v1/programmes/{uuid.uuid4()}", headers=resident)).json()
    assert body["status"] in (403, 404) and has_chinese(body["title"]) and has_chinese(body["detail"])


async def test_problems_before_the_app_speak_chinese_too(client):
    r = await client.post(
        "/api/v1/public/notices", content=b"[" * 40 + b"]" * 40, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["code"] == "json_too_deep"
    assert r.json()["title"] == "JSON 嵌套过深" and r.headers["content-language"] == ZH
    malformed = await client.post("/api/v1/public/notices", content=b"{", headers={"Content-Type": "application/json"})
    assert malformed.status_code in (400, 405) and has_chinese(malformed.json()["detail"])


def _amounts_written_in_fen() -> list[str]:
    """f-strings in app/ that put an amount after a placeholder as fen or 分 (ValueErrors for developers aside)."""
    found = []
    for path in APP.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for_developers = {
            id(arg)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "ValueError"
            for arg in node.args
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr) or id(node) in for_developers:
                continue
            parts = node.values
            for placeholder, after in pairwise(parts):
                if isinstance(placeholder, ast.FormattedValue) and isinstance(after, ast.Constant):
                    text, expr = str(after.value), ast.unparse(placeholder.value)
                    if re.match(r"\s*fen\b", text) or (re.match(r"\s*分(?!钟)", text) and "fen" in expr):
                        found.append(f"{path.relative_to(APP.parent)}:{node.lineno}")
    return found


def test_no_text_for_people_writes_money_in_fen():
    assert _amounts_written_in_fen() == [], "write amounts with app.common.money.yuan (6,500.00 元)"
