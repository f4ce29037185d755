"""Helpers shared by the identity-and-access tests."""

from functools import cache

import httpx

from app.auth.secrets import hash_password

PASSWORD = "correct horse battery"


@cache
def password_hash() -> str:
    """PASSWORD hashed once per run: argon2 is deliberately slow and only login tests need it real."""
    return hash_password(PASSWORD)


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    """POST /api/v1/auth/login."""
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password})


def auth(access: str) -> dict[str, str]:
    """Bearer headers."""
    return {"Authorization": f"Bearer {access}"}


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """The response is a problem+json of this status (and code); returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    if code:
        assert body["code"] == code, body
    return body
