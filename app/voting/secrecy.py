"""The ballot's secrecy (pure): how a voter's own ballot is found before the close, and by nothing else.

The tag is an HMAC of the round and the voter (resident or household) under a key derived from the service's
secret key (WEISHI_SECRET_KEY), which the database never holds: a dump of the database alone cannot tell whose
ballot a tag is. Tags differ from round to round, so one voter's ballots in two rounds share nothing. The
close erases the tags (ballots_service.cut_voter_links), after which not even the service can link them.

A receipt is kept only on its ballot's row and rewritten with it; its code names its round (rules.receipt_hint),
so a check needs no index of receipts alone and casting writes no receipt row that would keep the cast's
transaction and order. What a database copy taken after the close can and cannot link: docs/security.md,
"The secret ballot".
"""

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime
from functools import lru_cache

_TAG_PURPOSE = b"weishi/ballot-voter-tag/v1"


@lru_cache(maxsize=4)
def ballot_key(secret_key: str) -> bytes:
    """The key voter tags are made with, derived from the service's secret key (and only from it)."""
    return hmac.new(secret_key.encode(), _TAG_PURPOSE, hashlib.sha256).digest()


def voter_tag(key: bytes, round_id: uuid.UUID | str, voter_key: str) -> str:
    """The keyed tag of a voter's ballot in one round (64 hex characters)."""
    return hmac.new(key, f"{round_id}:{voter_key}".encode(), hashlib.sha256).hexdigest()


def counted_ballot_id(closed_at: datetime) -> uuid.UUID:
    """A fresh id the close gives a ballot: a UUIDv7 of the close's time (one value for the whole round, so the
    ids tell nothing of the casts) and 74 random bits, which alone order the round's ballots among themselves.
    The same layout as the close's SQL on PostgreSQL (ballots_service._COUNTED_ID_PG)."""
    millis = int(closed_at.timestamp() * 1000) & ((1 << 48) - 1)
    rand = secrets.randbits(74)
    # 48 bits of time, version 7, 12 random bits, variant 0b10, 62 random bits.
    return uuid.UUID(int=(millis << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1)))
