"""One row per limited key: the current window's start and how many hits it has seen."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.common.models import UTCDateTime


class RateLimitCounter(SQLModel, table=True):
    """A fixed-window counter; the window opens at the first hit after the previous one ended."""

    __tablename__ = "rate_limit_counter"

    # "<bucket>:<keyed digest of the identifier>": phones, accounts and addresses are not stored.
    key: str = Field(primary_key=True, max_length=100)
    window_start: datetime = Field(sa_type=UTCDateTime, nullable=False)
    count: int = Field(default=0, nullable=False)
