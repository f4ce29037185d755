"""The ballot's secrecy (pure): how a voter's own ballot is found before the close, and by nothing else.

The tag is an HMAC of the round and the voter (resident or household) under a key derived from the service's
secret key (WEISHI_SECRET_KEY), which the database never holds: a dump of the database alone cannot tell whose
ballot a tag is. Tags differ from round to round, so one voter's ballots in two rounds share nothing. The
close erases the tags (ballots_service.cut_voter_links), after which not even the service can link them.
"""

import hashlib
import hmac
import uuid
from functools import lru_cache

_TAG_PURPOSE = b"weishi/ballot-voter-tag/v1"


@lru_cache(maxsize=4)
def ballot_key(secret_key: str) -> bytes:
    """The key voter tags are made with, derived from the service's secret key (and only from it)."""
    return hmac.new(secret_key.encode(), _TAG_PURPOSE, hashlib.sha256).digest()


def voter_tag(key: bytes, round_id: uuid.UUID | str, voter_key: str) -> str:
    """The keyed tag of a voter's ballot in one round (64 hex characters)."""
    return hmac.new(key, f"{round_id}:{voter_key}".encode(), hashlib.sha256).hexdigest()
