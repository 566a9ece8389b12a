"""The services' notion of "now": an injected clock, always aware UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, aware UTC (what the running hub uses)."""
    return datetime.now(timezone.utc)


def utc_now(clock: Clock) -> datetime:
    """Read ``clock`` and return aware UTC; a naive clock is a programming error."""
    now = clock()
    if now.tzinfo is None:
        raise ValueError("the hub clock must return timezone-aware datetimes")
    return now.astimezone(timezone.utc)
