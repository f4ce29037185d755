"""The pure access rules behind user and token management."""

from datetime import UTC, datetime, timedelta

from app.auth.models import Role
from app.auth.rules import (
    account_change_message,
    may_assign_role,
    may_bind_organisation,
    may_manage_role,
    password_problem,
    region_problem,
    token_expiry_problem,
    within_scope,
)


def test_within_scope():
    assert within_scope(Role.admin, None, None)
    assert within_scope(Role.district_admin, "/d/", "/d/s/c/")
    assert within_scope(Role.district_admin, "/d/", "/d/")
    assert not within_scope(Role.district_admin, "/d/", "/e/")
    assert not within_scope(Role.district_admin, "/d/", None)
    assert not within_scope(Role.district_admin, None, "/d/")


def test_roles_that_may_be_given_and_managed():
    assert may_assign_role(Role.admin, Role.admin)
    assert not may_assign_role(Role.district_admin, Role.admin)
    assert may_assign_role(Role.district_admin, Role.district_admin)
    assert not may_assign_role(Role.admin, Role.resident)
    assert may_manage_role(Role.district_admin, Role.resident)
    assert not may_manage_role(Role.district_admin, Role.admin)
    for duty in (Role.finance, Role.supervisor):  # separation of duties (issue 24)
        assert not may_assign_role(Role.district_admin, duty) and not may_manage_role(Role.district_admin, duty)
        assert may_assign_role(Role.admin, duty) and may_manage_role(Role.admin, duty)


def test_organisation_binding():
    assert may_bind_organisation(Role.district_admin, "/d/", "/d/s/")
    assert not may_bind_organisation(Role.district_admin, "/d/", "/e/")
    assert not may_bind_organisation(Role.district_admin, "/d/", None)
    assert may_bind_organisation(Role.admin, None, None)


def test_account_change_message():
    text = account_change_message({"role": ("社区工作者", "财务")}, True, "王（系统管理员）")
    assert text == (
        "您的账号有变更：角色由「社区工作者」改为「财务」；密码已被重置。操作人：王（系统管理员）。"
        "如非您本人知晓，请立即联系管理员。"
    )
    assert account_change_message({}, False, "王") is None


def test_region_binding():
    assert region_problem(Role.admin, True)
    assert region_problem(Role.admin, False) is None
    assert region_problem(Role.finance, False)
    assert region_problem(Role.finance, True) is None
    assert region_problem(Role.resident, False) is None


def test_passwords():
    assert password_problem("short")
    assert password_problem("x" * 129)
    assert password_problem("Li.Hua.2026", "li.hua.2026")
    assert password_problem("abababababab")
    assert password_problem("a-long-enough-secret") is None


def test_token_expiry():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert token_expiry_problem(now, now)
    assert token_expiry_problem(now, now + timedelta(days=367))
    assert token_expiry_problem(now, now + timedelta(days=365)) is None
