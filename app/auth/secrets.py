"""Password hashing (argon2), keyed digests for phones and tokens, and random secrets."""

import hashlib
import hmac
import re
import secrets
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
_dummy: dict[PasswordHasher, str] = {}


def _dummy_hash() -> str:
    """Verified against when the account does not exist, so timing does not reveal accounts. Made on the first
    sign-in, not at import: argon2 costs every process that imports this module (workers, commands) its time."""
    if _hasher not in _dummy:
        _dummy[_hasher] = _hasher.hash("weishi-dummy-password-for-timing")
    return _dummy[_hasher]


# ASCII digits only: `\d` also matches full-width and other scripts' digits, which made a second
# spelling of one number (its own rate-limit key, its own codes).
_PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = re.compile(r"[\s\-]")


def hash_password(password: str) -> str:
    """argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; always spends the same work, even with no hash."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def keyed_digest(key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of value under the server key, separated by purpose."""
    return hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def sha256_hex(value: str) -> str:
    """Plain SHA-256 (for high-entropy random tokens)."""
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_phone(raw: str) -> str | None:
    """A mainland mobile number as 11 ASCII digits, or None: the one spelling every phone the API accepts is
    turned into before anything else (limits, digests, codes). NFKC first, so full-width digits, spaces and
    plus signs count as the ASCII ones; then spaces and hyphens go, and a +86 / 86 prefix."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _PHONE_RE.fullmatch(digits) else None


def mask_phone(phone: str) -> str:
    """138****1234."""
    return phone[:3] + "****" + phone[-4:]


def random_token(nbytes: int = 32) -> str:
    """URL-safe random secret."""
    return secrets.token_urlsafe(nbytes)


def constant_time_equal(a: str, b: str) -> bool:
    """Compare secrets without leaking where they differ."""
    return hmac.compare_digest(a.encode(), b.encode())
