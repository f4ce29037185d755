"""Forged, tampered, expired and incomplete access tokens are all refused with 401 problem+json."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from app.auth import service as auth_service
from app.auth.models import Role
from tests.auth.helpers import assert_problem
from tests.factories import add_user

ME = "/api/v1/auth/me"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hand_built(header: dict, claims: dict, key: bytes | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = _b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest()) if key else ""
    return f"{signing_input}.{signature}"


@pytest.fixture
async def good_claims(app, session) -> dict:
    """The claims of a real, live login session."""
    user = await add_user(session, Role.community_staff, username="jwt-user")
    tokens = await auth_service.start_session(session, app.state.settings, user)
    await session.commit()
    return jwt.get_unverified_claims(tokens["access_token"])


def _secret(app) -> str:
    return app.state.settings.secret_key


async def _me(client, token: str):
    return await client.get(ME, headers={"Authorization": f"Bearer {token}"})


async def test_a_valid_token_is_accepted(client, app, good_claims):
    token = jwt.encode(good_claims, _secret(app), algorithm="HS256")
    r = await _me(client, token)
    assert r.status_code == 200, r.text
    assert r.json()["username"] == "jwt-user"


async def test_alg_none_is_refused(client, good_claims):
    for alg in ("none", "None", "NONE"):
        token = _hand_built({"alg": alg, "typ": "JWT"}, good_claims, None)
        assert_problem(await _me(client, token), 401, "invalid_token")


async def test_alg_none_with_a_signature_is_refused(client, app, good_claims):
    token = _hand_built({"alg": "none", "typ": "JWT"}, good_claims, _secret(app).encode())
    assert_problem(await _me(client, token), 401, "invalid_token")


async def test_another_hmac_algorithm_with_the_right_key_is_refused(client, app, good_claims):
    token = jwt.encode(good_claims, _secret(app), algorithm="HS512")
    assert_problem(await _me(client, token), 401, "invalid_token")


async def test_rs256_signed_with_a_real_rsa_key_is_refused(client, good_claims):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    token = jwt.encode(good_claims, pem.decode(), algorithm="RS256")
    assert_problem(await _me(client, token), 401, "invalid_token")


async def test_rs256_header_hmac_signed_with_a_public_key_string_is_refused(client, good_claims):
    # The classic key-confusion forgery: "RS256" in the header, HMAC under the public key text.
    public_key = b"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n"
    token = _hand_built({"alg": "RS256", "typ": "JWT"}, good_claims, public_key)
    assert_problem(await _me(client, token), 401, "invalid_token")


async def test_wrong_signature_is_refused(client, app, good_claims):
    forged = jwt.encode(good_claims, "not-the-server-secret-0123456789-abcdef", algorithm="HS256")
    assert_problem(await _me(client, forged), 401, "invalid_token")
    # And a real token with its payload swapped for another role keeps the old signature.
    real = jwt.encode(good_claims, _secret(app), algorithm="HS256")
    header, _, signature = real.split(".")
    tampered = f"{header}.{_b64(json.dumps({**good_claims, 'role': 'admin'}).encode())}.{signature}"
    assert_problem(await _me(client, tampered), 401, "invalid_token")


async def test_wrong_audience_or_issuer_is_refused(client, app, good_claims):
    for claim, value in (("aud", "someone-else"), ("aud", ["someone-else"]), ("iss", "evil-issuer")):
        token = jwt.encode({**good_claims, claim: value}, _secret(app), algorithm="HS256")
        assert_problem(await _me(client, token), 401, "invalid_token")


async def test_each_missing_claim_is_refused(client, app, good_claims):
    for claim in ("exp", "aud", "iss", "sub", "sid", "iat"):
        claims = {k: v for k, v in good_claims.items() if k != claim}
        token = jwt.encode(claims, _secret(app), algorithm="HS256")
        r = await _me(client, token)
        assert r.status_code == 401, f"token without {claim} was accepted"
        assert_problem(r, 401, "invalid_token")


async def test_a_subject_that_is_not_a_live_session_is_refused(client, app, good_claims):
    for claim, value in (("sub", "00000000-0000-0000-0000-000000000000"), ("sid", "not-a-uuid")):
        token = jwt.encode({**good_claims, claim: value}, _secret(app), algorithm="HS256")
        assert_problem(await _me(client, token), 401)


async def test_expired_token_is_refused(client, app, good_claims):
    now = int(time.time())
    token = jwt.encode({**good_claims, "iat": now - 3600, "exp": now - 10}, _secret(app), algorithm="HS256")
    assert_problem(await _me(client, token), 401, "invalid_token")


async def test_a_token_living_longer_than_the_service_issues_is_refused(client, app, good_claims):
    """Signed with the right key, but exp far after iat: no token the service issued looks like that."""
    ttl, iat = app.state.settings.access_token_ttl_seconds, good_claims["iat"]
    for lifetime in (ttl + 61, 24 * 3600, 100 * 365 * 24 * 3600):
        token = jwt.encode({**good_claims, "exp": iat + lifetime}, _secret(app), algorithm="HS256")
        assert_problem(await _me(client, token), 401, "invalid_token")
    within = jwt.encode({**good_claims, "exp": iat + ttl + 60}, _secret(app), algorithm="HS256")  # the leeway
    assert (await _me(client, within)).status_code == 200


async def test_malformed_or_missing_tokens_are_refused(client):
    for token in ("garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9...", "wst_not-a-token"):
        r = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
        assert_problem(r, 401)
        assert r.headers["www-authenticate"] == "Bearer"
    assert_problem(await client.get(ME), 401, "not_authenticated")


async def test_odd_tokens_are_refused_never_crash(client, app, good_claims):
    secret, now = _secret(app).encode(), int(time.time())
    signed = _hand_built({"alg": "HS256", "typ": "JWT"}, good_claims, secret)
    for token in (
        _hand_built({"alg": "HS256", "crit": ["exp"]}, good_claims, secret),  # an extension nobody here knows
        _hand_built({"alg": "HS256"}, {**good_claims, "exp": str(now + 60)}, secret),  # exp not a number
        _hand_built({"alg": "HS256"}, {**good_claims, "exp": True}, secret),
        _hand_built({"alg": "HS256"}, {**good_claims, "nbf": now + 3600}, secret),  # not valid yet
        _hand_built({"alg": "HS256"}, {**good_claims, "role": ["admin"]}, secret),
        signed + "=",
        signed.replace(".", ".$", 1),
        "a.b",
        "a.b.c.d",
        "abcde.abcde.abcde",
        "W10.W10.W10",  # base64 of [] where objects belong
    ):
        assert_problem(await _me(client, token), 401, "invalid_token")
    assert (await _me(client, signed)).status_code == 200
