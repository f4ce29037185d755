"""The pure access rules behind user and token management."""

from datetime import UTC, datetime, timedelta

from app.auth.models import Role
from app.auth.rules import (
    may_assign_role,
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
