"""Request dependencies shared by the voting routers."""

from typing import Annotated

from fastapi import Depends, Request

from app.voting import secrecy


def _ballot_key(request: Request) -> bytes:
    return secrecy.ballot_key(request.app.state.settings.secret_key)


# The key voters' ballots are found by until the close (app/voting/secrecy.py); never stored.
BallotKey = Annotated[bytes, Depends(_ballot_key)]
